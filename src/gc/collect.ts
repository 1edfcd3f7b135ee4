import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export type Collected = { deleted: number; freed: string };

/**
 * Collects the store's garbage through the node's daemon (NIX_REMOTE is
 * honoured), or with `dryRun` only counts the paths dead right now. Nix
 * prints its summary ("N store paths deleted, X MiB freed") on stdout or
 * stderr, depending on the version.
 */
export async function collectGarbage(dryRun: boolean): Promise<Collected> {
  const args = dryRun ? ["--gc", "--print-dead"] : ["--gc"];
  const { stdout, stderr } = await run("nix-store", args, { maxBuffer: 256 * 1024 * 1024 }).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
    const reason = error.code === "ENOENT" ? "nix-store is not on PATH" : (error.stderr?.trim().split("\n").at(-1) ?? error.message);
    throw new Error(`nix-store ${args.join(" ")} failed: ${reason}`);
  });
  if (dryRun) return { deleted: stdout.split("\n").filter((line) => line.startsWith("/")).length, freed: "0 (dry run)" };
  const summary = /(\d+) store paths deleted, (.+) freed/.exec(`${stdout}\n${stderr}`);
  return { deleted: Number(summary?.[1] ?? 0), freed: summary?.[2]?.trim() ?? "0 MiB" };
}
