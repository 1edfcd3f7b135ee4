import { existsSync, lstatSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import type { SpoolEntry } from "../upload/spool.js";

/**
 * Every output still waiting for upload (queued, or set aside as a dead
 * letter an operator may move back) keeps its root under the upload GC roots,
 * as the post-build-hook made it. A root someone removed is made again, so
 * garbage collection never takes a path before it is in the cache. Answers
 * the roots made again and the outputs already gone from the store.
 */
export function rootQueuedOutputs(entries: SpoolEntry[], uploadRoots: string): { reRooted: string[]; gone: string[] } {
  const reRooted: string[] = [];
  const gone: string[] = [];
  for (const output of entries.flatMap((entry) => entry.outputs)) {
    const root = join(uploadRoots, basename(output));
    if (isLink(root)) continue;
    if (!existsSync(output)) {
      gone.push(output);
      continue;
    }
    symlinkSync(output, root);
    reRooted.push(output);
  }
  return { reRooted, gone };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
