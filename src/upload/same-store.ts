import { realpathSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Whether two store URIs name one binary cache, however they are spelt:
 * store parameters and trailing slashes aside; a folder (`file://` or a
 * plain path) by its resolved path, symbolic links followed where they exist;
 * anything else by scheme, host and path as a URL normalises them. A bucket
 * reached through two endpoints (two host names, or an IP and a name) can't
 * be told apart from its URIs.
 */
export function sameStore(a: string, b: string): boolean {
  return storePlace(a) === storePlace(b);
}

function storePlace(uri: string): string {
  const bare = uri.split("?")[0]!;
  const folder = bare.startsWith("file://") ? decodeURIComponent(bare.slice("file://".length)) : bare.startsWith("/") ? bare : undefined;
  if (folder !== undefined) return `file://${realFolder(resolve(folder))}`;
  if (!URL.canParse(bare)) return bare.replace(/\/+$/, "");
  const url = new URL(bare);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/** The folder with its links followed, as far as it exists: a cache may not have been made yet. */
function realFolder(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
