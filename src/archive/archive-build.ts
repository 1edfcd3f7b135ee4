import { once } from "node:events";
import { createGzip } from "node:zlib";
import type { Readable } from "node:stream";
import type { BuildState } from "../builds/build-state.js";
import { toBuildStatus } from "../builds/build-status.js";
import { latestAllocation } from "../builds/allocation.js";
import { keptLog } from "../builds/kept-log.js";
import type { LoadedBuild } from "../builds/load-build.js";
import type { Nomad } from "../nomad/client.js";
import { logName, type ArchivedLog, type BuildArchive } from "./build-archive.js";

export type ArchiveBuildDeps = { nomad: Nomad; archive: BuildArchive; maxLogBytes: number };

/** Archives a build that has ended: `build` as Nomad has it, `final` the state its commit status got. */
export type ArchiveBuild = (build: LoadedBuild, final: BuildState) => Promise<void>;

/**
 * Stores a finished build in the archive: its status (the state its commit
 * status got, which may say more than Nomad, such as who superseded it) and
 * every task's stdout and stderr, compressed, the first `maxLogBytes` of each
 * with a notice of the cut. Writing the same build twice writes the same thing.
 */
export function createArchiveBuild({ nomad, archive, maxLogBytes }: ArchiveBuildDeps): ArchiveBuild {
  return async (build, final) => {
    const status = { ...toBuildStatus(build), ...final };
    const alloc = latestAllocation(build.allocations);
    // Every task that started (one that didn't has no log in Nomad), both its logs, read at once;
    // a task whose log Nomad doesn't keep has none in the archive either.
    const wanted = Object.entries(status.tasks)
      .filter(([, view]) => alloc !== undefined && view.startedAt !== null)
      .flatMap(([task]) => (["stdout", "stderr"] as const).flatMap((type) => {
        const name = logName(task, type);
        return name === undefined ? [] : [{ task, type, name }];
      }));
    const read = (
      await Promise.all(
        wanted.map(async ({ task, type, name }) => {
          const kept = await keptLog(nomad, alloc!.ID, { task, type });
          if (kept === undefined) return [];
          const log = await gzipCapped(kept, maxLogBytes);
          const described: ArchivedLog = { task, type, bytes: log.bytes, truncated: log.truncated };
          return [{ name, described, gzip: log.gzip }];
        }),
      )
    ).flat();
    await archive.save({ status, archivedAt: new Date().toISOString(), logs: read.map((log) => log.described) }, new Map(read.map((log) => [log.name, log.gzip])));
  };
}

/**
 * A log's first `max` bytes gzip, compressed as they arrive so only the
 * compressed bytes are held, with a notice when there was more (the rest is
 * not read).
 */
async function gzipCapped(log: Readable, max: number): Promise<{ gzip: Buffer; bytes: number; truncated: boolean }> {
  const gzip = createGzip();
  const compressed: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => compressed.push(chunk));
  const ended = once(gzip, "end");
  const write = async (chunk: Buffer) => {
    if (!gzip.write(chunk)) await once(gzip, "drain");
  };
  let bytes = 0;
  let truncated = false;
  for await (const chunk of log as AsyncIterable<Buffer>) {
    const room = max - bytes;
    truncated = chunk.length > room;
    await write(truncated ? chunk.subarray(0, room) : chunk);
    bytes += Math.min(room, chunk.length);
    if (truncated) {
      log.destroy();
      await write(truncationNotice(max));
      break;
    }
  }
  gzip.end();
  await ended;
  return { gzip: Buffer.concat(compressed), bytes, truncated };
}

const truncationNotice = (max: number) => Buffer.from(`\n[petrel: the archive keeps this log's first ${formatBytes(max)} only; PETREL_ARCHIVE_MAX_LOG sets how much]\n`);

const formatBytes = (bytes: number) => (bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MB` : `${bytes} bytes`);
