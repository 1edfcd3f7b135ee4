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
    const args = ["--extra-experimental-features", "nix-command", "copy", "--option", "substituters", "", "--to", compressedWithZstd(to), ...paths];
    await run("nix", args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const lines = (error as { stderr?: string }).stderr?.trim().split("\n") ?? [];
    throw new Error(lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? String(error));
  }
}

export type CopyPaths = typeof nixCopy;

/** The stores whose NARs Nix compresses: binary caches. */
const binaryCache = /^(file|https?|s3):\/\//;

/**
 * A binary cache's URI with `compression=zstd` unless it names a compression
 * of its own. Nix's default, xz, sets up its encoder for every path: about
 * 3 ms of CPU each, however small the path, taken from the node's builds while
 * they run (one `nix copy` of 50 small paths: 200 ms of CPU, against 65–75 ms
 * with zstd, as with none). Every Nix since 2.4 reads zstd.
 */
export function compressedWithZstd(uri: string): string {
  if (!binaryCache.test(uri) || /[?&]compression=/.test(uri)) return uri;
  return `${uri}${uri.includes("?") ? "&" : "?"}compression=zstd`;
}
