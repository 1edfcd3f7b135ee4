import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * The build GC roots under `dir` (symbolic links, at any depth: a build's
 * GCROOT and the `-<output>` links nix-build adds beside it) whose link is
 * older than `maxAgeMs`, judged by the link's own time, not its target's.
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
  visit(dir);
  return { old, kept };
}

/** Unlinks the roots, then the folders they leave empty, never `dir` itself. */
export function removeRoots(dir: string, roots: string[]): void {
  for (const root of roots) unlinkSync(root);
  const prune = (folder: string): boolean => {
    const entries = readdirSync(folder, { withFileTypes: true });
    const left = entries.filter((entry) => !(entry.isDirectory() && prune(join(folder, entry.name))));
    if (left.length > 0 || folder === dir) return false;
    rmdirSync(folder);
    return true;
  };
  prune(dir);
}
