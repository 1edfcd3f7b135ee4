import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

/** Where `petrel upload` keeps a daemon's queue: the hook fills both, the uploader drains them. */
export type UploadQueue = { spool: string; gcroots: string };

/** A binary-cache signing key pair, as `nix-store --generate-binary-cache-key` writes it. */
export async function signingKey(dir: string, name = "petrel-test-1"): Promise<{ secretFile: string; publicKey: string }> {
  const secretFile = join(dir, "secret");
  await run("nix-store", ["--generate-binary-cache-key", name, secretFile, join(dir, "public")]);
  return { secretFile, publicKey: readFileSync(join(dir, "public"), "utf8").trim() };
}

/** `petrel upload --install-hook`: the post-build-hook a daemon's nix.conf then names. */
export async function installHook(hook: string, { spool, gcroots }: UploadQueue): Promise<void> {
  await run(process.execPath, ["--import", "tsx", cli, "upload", "--install-hook", hook, "--spool", spool, "--gcroots", gcroots]);
}

/** `petrel upload --once` of a queue to a file:// cache; a failure resolves too, with its exit code. */
export function uploadOnce(cache: string, { spool, gcroots }: UploadQueue, ...flags: string[]): Promise<{ code: number; stdout: string }> {
  return run(process.execPath, ["--import", "tsx", cli, "upload", "--to", `file://${cache}`, "--spool", spool, "--gcroots", gcroots, "--once", ...flags]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

/** The entries a spool holds, without the uploader's own folders. */
export const queued = (spool: string): string[] => readdirSync(spool).filter((name) => !name.startsWith("."));

/** A store path's .narinfo in a file:// cache. */
export const narinfo = (cache: string, path: string) => join(cache, `${path.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`);

/** `nix store verify` in a file:// cache, trusting only `key`: 0 when every path is there and signed with it. */
export function verifyInCache(cache: string, paths: string[], key: string): Promise<number> {
  const args = ["--extra-experimental-features", "nix-command", "store", "verify", "--store", `file://${cache}`, "--sigs-needed", "1", "--trusted-public-keys", key, ...paths];
  return run("nix", args).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
}

/** The signatures the node's store holds for a path (`nix path-info --sigs`). */
export async function signaturesOf(path: string): Promise<string[]> {
  const { stdout } = await run("nix", ["--extra-experimental-features", "nix-command", "path-info", "--json", "--sigs", path]);
  const [info] = JSON.parse(stdout) as { signatures?: string[] }[];
  return info?.signatures ?? [];
}
