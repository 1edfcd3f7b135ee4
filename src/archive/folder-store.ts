import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomUUID } from "node:crypto";
import { ArchiveUnavailableError, type ObjectStore } from "./object-store.js";

/**
 * An object store in a folder: each key a file, written beside and renamed
 * into place so a reader never sees half of one. For one machine (`scripts/dev`,
 * a single Petrel); replicas on several nodes need a store they all reach.
 */
export function folderStore(root: string): ObjectStore {
  const pathOf = (key: string) => join(root, ...key.split("/"));
  const failing = <T>(work: () => Promise<T>) => work().catch((error: unknown) => {
    throw new ArchiveUnavailableError(root, error);
  });
  return {
    location: root,
    put: (key, body) =>
      failing(async () => {
        const path = pathOf(key);
        await mkdir(dirname(path), { recursive: true });
        const partial = `${path}.${randomUUID()}.tmp`;
        await writeFile(partial, body);
        await rename(partial, path);
      }),
    get: (key) =>
      failing(async () => {
        try {
          return await readFile(pathOf(key));
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw error;
        }
      }),
    list: (prefix, { startAfter, limit = Infinity } = {}) =>
      failing(async () => {
        // Only the folder the prefix names is walked, not the whole archive.
        const base = prefix.slice(0, prefix.lastIndexOf("/") + 1);
        const keys = (await walk(pathOf(base), base)).filter((key) => key.startsWith(prefix) && !key.endsWith(".tmp") && (startAfter === undefined || key > startAfter));
        return keys.sort(byBytes).slice(0, limit);
      }),
    remove: (keys) =>
      failing(async () => {
        await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
        // A folder emptied goes too, up to the root, so old builds leave no trace.
        const folders = new Set(keys.flatMap((key) => key.split("/").slice(0, -1).map((_, depth, parts) => parts.slice(0, depth + 1).join("/"))));
        for (const folder of [...folders].sort((a, b) => b.length - a.length)) await rmdir(pathOf(folder)).catch(() => undefined);
      }),
  };
}

/** Every file under `dir` as a `/`-separated key. */
async function walk(dir: string, under = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? walk(join(dir, entry.name), `${under}${entry.name}/`) : Promise.resolve([`${under}${entry.name}`]))),
  );
  return nested.flat();
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR";
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
