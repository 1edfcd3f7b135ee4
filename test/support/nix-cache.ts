import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { petrelCommand } from "../cluster/builder.js";

const exec = promisify(execFile);

/** `petrel <args>` from this checkout, as a process; `env` adds to the test's environment. */
export function petrel(args: string[], env: NodeJS.ProcessEnv = {}) {
  return exec(petrelCommand[0]!, [...petrelCommand.slice(1), ...args], { env: { ...process.env, ...env } });
}

/**
 * A node's cache side as Petrel sets it up, for tests with a real nix-daemon:
 * the upload spool, its GC roots (under the store's gcroots folder, so they
 * are real ones) and a signing key, all in `folder` but the roots.
 */
export type NodeCache = {
  spool: string;
  uploadRoots: string;
  secretKey: string;
  publicKey: string;
  /** Writes Petrel's post-build-hook for this spool at `path`; `flags` such as --untrusted. */
  installHook(path: string, ...flags: string[]): Promise<string>;
  /** `petrel upload --once` of this spool to `file://<cache>`: its exit code and log lines. */
  uploadOnce(cache: string, ...flags: string[]): Promise<{ code: number; stdout: string }>;
  /** The spool's entry names, waiting for upload. */
  queued(): string[];
  remove(): void;
};

export async function createNodeCache(folder: string, keyName = "petrel-test-1"): Promise<NodeCache> {
  const spool = join(folder, "spool");
  const uploadRoots = mkdtempSync("/nix/var/nix/gcroots/petrel-test-");
  const [secretKey, publicKeyFile] = [join(folder, "secret-key"), join(folder, "public-key")];
  await exec("nix-store", ["--generate-binary-cache-key", keyName, secretKey, publicKeyFile]);
  chmodSync(secretKey, 0o600);
  const paths = ["--spool", spool, "--gcroots", uploadRoots];
  return {
    spool,
    uploadRoots,
    secretKey,
    publicKey: readFileSync(publicKeyFile, "utf8").trim(),
    installHook: async (path, ...flags) => {
      await petrel(["upload", "--install-hook", path, ...paths, ...flags]);
      return path;
    },
    uploadOnce: (cache, ...flags) =>
      petrel(["upload", "--once", "--to", `file://${cache}`, ...paths, ...flags]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      ),
    queued: () => readdirSync(spool).filter((name) => !name.startsWith(".")),
    remove: () => rmSync(uploadRoots, { recursive: true, force: true }),
  };
}

/** Whether a file:// binary cache holds a store path (its .narinfo). */
export const inCache = (cache: string, path: string) => existsSync(join(cache, `${path.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`));

/** `nix store verify` of paths in a file:// cache against one public key: its exit code. */
export function verifyInCache(cache: string, paths: string[], publicKey: string): Promise<number> {
  const args = ["--extra-experimental-features", "nix-command", "store", "verify", "--store", `file://${cache}`, "--sigs-needed", "1", "--trusted-public-keys", publicKey, ...paths];
  return exec("nix", args).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
}

/** A path's signatures (`nix path-info --sigs`) in the node's store, or in the `file://<cache>`: none when no key signed it. */
export async function signaturesOf(path: string, cache?: string): Promise<string[]> {
  const store = cache === undefined ? [] : ["--store", `file://${cache}`];
  const { stdout } = await exec("nix", ["--extra-experimental-features", "nix-command", "path-info", ...store, "--json", "--sigs", path]);
  const [info] = JSON.parse(stdout) as { signatures?: string[] }[];
  return info?.signatures ?? [];
}
