import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The build GC roots under `dir` (symbolic links, at any depth: a build's
 * GCROOT and the `-<output>` links nix-build adds beside it) whose link is
 * older than `maxAgeMs`, judged by the link's own time, not its target's.
 * A node that never built has no `dir` yet: no roots.
 */
export function findOldRoots(dir: string, maxAgeMs: number, now = Date.now()): { old: string[]; kept: number } {
  const old: string[] = [];
  let kept = 0;
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isSymbolicLink()) {
        if (now - lstatSync(path).mtimeMs > maxAgeMs) old.push(path);
        else kept += 1;
      }
    }
  };
  ifPresent(dir, () => visit(dir));
  return { old, kept };
}

/**
 * Unlinks the roots, then the folders left empty, never `dir` itself. An
 * empty folder none of these roots was in stays while it is young: petrel
 * exec makes GCROOT's folder when a build starts, long before nix-build
 * links the root into it.
 */
export function removeRoots(dir: string, roots: string[], maxAgeMs: number, now = Date.now()): void {
  for (const root of roots) unlinkSync(root);
  const emptied = new Set(roots.map((root) => dirname(root)));
  const prune = (folder: string): boolean => {
    const entries = readdirSync(folder, { withFileTypes: true });
    const pruned = entries.filter((entry) => entry.isDirectory() && prune(join(folder, entry.name))).length;
    if (entries.length > pruned || folder === dir) return false;
    if (pruned === 0 && !emptied.has(folder) && now - lstatSync(folder).mtimeMs <= maxAgeMs) return false;
    rmdirSync(folder);
    return true;
  };
  ifPresent(dir, () => prune(dir));
}

/** Runs `walk`; a missing `dir` (a node that never built) is nothing to walk. */
function ifPresent(dir: string, walk: () => void): void {
  try {
    walk();
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    if (code !== "ENOENT" || path !== dir) throw error;
  }
}
