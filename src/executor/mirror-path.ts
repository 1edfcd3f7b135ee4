import { createHash } from "node:crypto";
import { join } from "node:path";

/**
 * Where a repository's bare mirror lives in the node's git cache: one folder
 * per trust level, so what an untrusted build made the node fetch is never in
 * the mirror a trusted build checks out from.
 */
export function mirrorPath(cacheDir: string, repoUrl: string, trusted: boolean): string {
  return join(cacheDir, trusted ? "trusted" : "untrusted", `${mirrorName(repoUrl)}.git`);
}

/** A folder name per repository: readable, and unique even when two URLs end alike. */
export function mirrorName(repoUrl: string): string {
  const base = redactUrl(repoUrl).replace(/\.git\/?$/, "").split(/[/:]/).filter(Boolean).pop() ?? "repo";
  const hash = createHash("sha256").update(repoUrl).digest("hex").slice(0, 16);
  return `${base.replace(/[^A-Za-z0-9_.-]/g, "_")}-${hash}`;
}

/** Credentials in a clone URL (https://user:token@host/…) never reach the build log. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, "$1***@");
}
