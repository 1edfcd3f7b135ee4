import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { rootName, rootOf, type SpoolEntry } from "../upload/spool.js";

/** gc's own roots, beside the hook's: the uploader never removes these, gc's next pass does. */
export const keptByGc = "kept-by-gc";

/**
 * Every output still waiting for upload (queued, or set aside as a dead
 * letter an operator may move back) keeps a root under the upload GC roots.
 * One whose hook root is missing gets a root of gc's own in `kept-by-gc/`,
 * so garbage collection never takes a path before it is in the cache. Not the
 * hook's name: the uploader may be completing that very entry, and a root
 * made again under the hook's name after it removed it would outlive the
 * entry for good. gc's own roots whose entry has gone go instead.
 * Answers the roots made, the stale ones removed and the outputs already gone
 * from the store.
 */
export function rootQueuedOutputs(entries: SpoolEntry[], uploadRoots: string) {
  const own = join(uploadRoots, keptByGc);
  mkdirSync(own, { recursive: true });
  const waiting = new Set(entries.flatMap((entry) => entry.outputs));
  const names = new Set([...waiting].map(rootName));
  const released = readdirSync(own).filter((name) => !names.has(name));
  for (const name of released) unlinkSync(join(own, name));

  const reRooted: string[] = [];
  const gone: string[] = [];
  for (const output of waiting) {
    if (isRoot(rootOf(uploadRoots, output)) || isRoot(rootOf(own, output))) continue;
    if (!existsSync(output)) {
      gone.push(output);
      continue;
    }
    symlinkSync(output, rootOf(own, output));
    reRooted.push(output);
  }
  return { reRooted, released: released.length, gone };
}

/** A root is there: a link, or the hook's empty file named after the output (not followed: a dangling link still counts). */
const isRoot = (path: string) => lstatSync(path, { throwIfNoEntry: false }) !== undefined;
