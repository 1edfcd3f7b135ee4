import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export type Collected = { deleted: number; freed: string };

/**
 * Collects the store's garbage through the node's daemon (NIX_REMOTE is
 * honoured), or with `dryRun` only counts what would go. Nix prints its
 * summary ("N store paths deleted, X MiB freed") on stdout or stderr,
 * depending on the version.
 */
export async function collectGarbage(dryRun: boolean): Promise<Collected> {
  if (dryRun) {
    const { stdout } = await run("nix-store", ["--gc", "--print-dead"], { maxBuffer: 256 * 1024 * 1024 });
    return { deleted: stdout.split("\n").filter((line) => line.startsWith("/")).length, freed: "0 (dry run)" };
  }
  const { stdout, stderr } = await run("nix-store", ["--gc"], { maxBuffer: 256 * 1024 * 1024 });
  const summary = /(\d+) store paths deleted, (.+) freed/.exec(`${stdout}\n${stderr}`);
  return { deleted: Number(summary?.[1] ?? 0), freed: summary?.[2]?.trim() ?? "0 MiB" };
}
