import { pipeline, Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import type { BuildStatus } from "../builds/build-status.js";
import { summarize, type BuildSummary } from "../builds/list-builds.js";
import { entrySeconds, historyFolder, historyKeys, type HistoryRef } from "./history.js";
import type { ObjectStore } from "./object-store.js";

export type LogType = "stdout" | "stderr";

/** One task's log as archived: the bytes kept, and whether they are only its start. */
export type ArchivedLog = { task: string; type: LogType; bytes: number; truncated: boolean };

/** What the archive keeps of a build besides its logs: the status `/build` answered when it ended. */
export type ArchivedBuild = { status: BuildStatus; archivedAt: string; logs: ArchivedLog[] };

/**
 * The archive's layout, under the store's root:
 *
 *     builds/<builder>/dispatch-<time>-<id>/build.json          the record, written last
 *     builds/<builder>/dispatch-<time>-<id>/<task>/stdout.gz    each task's log, gzip
 *     builds/<builder>/dispatch-<time>-<id>/<task>/stderr.gz
 *
 * A build is archived once its record is there: the logs are written first,
 * so a reader never finds a record whose logs are missing; its entries in
 * the history index (`history.ts`) last.
 */
export type BuildArchive = ReturnType<typeof createBuildArchive>;

export function createBuildArchive(store: ObjectStore) {
  return {
    location: store.location,
    /** Writes the logs (already gzip), then publishes the record, then lists it in the history. */
    async save(record: ArchivedBuild, logs: Map<string, Buffer>): Promise<void> {
      const folder = buildFolder(record.status.job);
      if (folder === undefined) throw new Error(`job id '${record.status.job}' can't name an archive folder`);
      await Promise.all([...logs].map(([name, gzip]) => store.put(`${folder}/${name}`, gzip, "application/gzip")));
      await store.put(`${folder}/build.json`, Buffer.from(JSON.stringify(record)), "application/json");
      const entry = Buffer.from(JSON.stringify(summarize(record.status)));
      await Promise.all(historyKeys(record.status).map((key) => store.put(key, entry, "application/json")));
    },
    /** A page of a repository's archived builds, newest first; `next` continues after it, when there is more. */
    async history(repo: string, ref: HistoryRef | undefined, { after, limit }: { after?: string; limit: number }): Promise<{ builds: BuildSummary[]; next?: string }> {
      const folder = historyFolder(repo, ref);
      // `after` is a key of this same folder, as `next` gave it.
      const keys = await store.list(folder, { ...(after === undefined ? {} : { startAfter: `${folder}${after}` }), limit });
      const entries = await Promise.all(keys.map((key) => store.get(key)));
      const builds = entries.flatMap((entry) => (entry === undefined ? [] : [JSON.parse(entry.toString("utf8")) as BuildSummary]));
      return keys.length === limit ? { builds, next: keys.at(-1)!.slice(folder.length) } : { builds };
    },
    async record(job: string): Promise<ArchivedBuild | undefined> {
      const folder = buildFolder(job);
      const bytes = folder === undefined ? undefined : await store.get(`${folder}/build.json`);
      return bytes === undefined ? undefined : (JSON.parse(bytes.toString("utf8")) as ArchivedBuild);
    },
    /**
     * Removes every build dispatched before `before`, by the time in its job
     * id (Nomad's `dispatch-<unix seconds>-<id>`); answers how many.
     */
    async prune(before: Date): Promise<number> {
      const old = new Map<string, string[]>();
      const entries = (await store.list("index/")).filter((key) => (entrySeconds(key) ?? Infinity) * 1000 < before.getTime());
      for (const key of await store.list("builds/")) {
        const folder = key.endsWith("/build.json") ? key.slice(0, -"/build.json".length) : key.split("/").slice(0, -2).join("/");
        const dispatched = dispatchTime(folder);
        if (dispatched === undefined || dispatched >= before.getTime()) continue;
        old.set(folder, [...(old.get(folder) ?? []), key]);
      }
      // Listings first, then the record: a reader never finds a build whose logs are gone.
      await store.remove(entries);
      await store.remove([...old.keys()].map((folder) => `${folder}/build.json`));
      await store.remove([...old.values()].flat());
      return old.size;
    },
    /** A task's archived log from byte `offset`, unpacked as it is read; undefined when the build kept none for it. */
    async log(job: string, task: string, type: LogType, offset = 0): Promise<Readable | undefined> {
      const folder = buildFolder(job);
      const name = logName(task, type);
      const gzip = folder === undefined || name === undefined ? undefined : await store.get(`${folder}/${name}`);
      if (gzip === undefined) return undefined;
      // A broken object fails the stream read, which pipeline destroys with the error.
      const log = skipping(offset);
      pipeline(Readable.from([gzip]), createGunzip(), log, () => undefined);
      return log;
    },
  };
}

/** A task's log's name inside its build's folder. */
export function logName(task: string, type: LogType): string | undefined {
  const segment = safeSegment(task);
  return segment === undefined ? undefined : `${segment}/${type}.gz`;
}

/**
 * A job's folder: its id's `/`-separated parts, each percent-encoded, so
 * `aws s3 ls` shows a builder's builds under the builder's name. An id with
 * an empty, `.` or `..` part names no folder: a folder store would resolve it
 * outside the build's own.
 */
export function buildFolder(job: string): string | undefined {
  const parts = job.split("/").map(safeSegment);
  return parts.every((part) => part !== undefined) ? `builds/${parts.join("/")}` : undefined;
}

function safeSegment(part: string): string | undefined {
  return part === "" || part === "." || part === ".." ? undefined : encodeURIComponent(part);
}

function dispatchTime(folder: string): number | undefined {
  const seconds = /^dispatch-(\d+)-/.exec(decodeURIComponent(folder.slice(folder.lastIndexOf("/") + 1)))?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1000;
}

/** Passes on what comes after its first `bytes` bytes. */
function skipping(bytes: number): Transform {
  let left = bytes;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const kept = chunk.subarray(Math.min(left, chunk.length));
      left -= chunk.length - kept.length;
      done(null, kept.length > 0 ? kept : undefined);
    },
  });
}
