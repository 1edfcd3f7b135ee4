import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Copies store paths with their closures to a binary cache; rejects with
 * Nix's own error line. Never substitutes: a path this node no longer has is
 * a failure to report, not something to fetch (which would also wait on
 * every unreachable substituter).
 */
export async function nixCopy(to: string, paths: string[]): Promise<void> {
  try {
    const args = ["--extra-experimental-features", "nix-command", "copy", "--option", "substituters", "", "--to", to, ...paths];
    await run("nix", args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const lines = (error as { stderr?: string }).stderr?.trim().split("\n") ?? [];
    throw new Error(lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? String(error));
  }
}

export type CopyPaths = typeof nixCopy;
