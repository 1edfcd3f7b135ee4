import { gzipSync } from "node:zlib";
import type { Readable } from "node:stream";
import type { BuildState } from "../builds/build-state.js";
import { toBuildStatus } from "../builds/build-status.js";
import { latestAllocation } from "../builds/allocation.js";
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
    // Every task that started (one that didn't has no log in Nomad), both its logs, read at once.
    const wanted = Object.entries(status.tasks)
      .filter(([, view]) => alloc !== undefined && view.startedAt !== null)
      .flatMap(([task]) => (["stdout", "stderr"] as const).flatMap((type) => {
        const name = logName(task, type);
        return name === undefined ? [] : [{ task, type, name }];
      }));
    const read = await Promise.all(
      wanted.map(async ({ task, type, name }) => {
        const log = await readCapped(await nomad.logs(alloc!.ID, { task, type }), maxLogBytes);
        const described: ArchivedLog = { task, type, bytes: log.bytes.length, truncated: log.truncated };
        return { name, described, gzip: gzipSync(log.truncated ? Buffer.concat([log.bytes, truncationNotice(maxLogBytes)]) : log.bytes) };
      }),
    );
    await archive.save({ status, archivedAt: new Date().toISOString(), logs: read.map((log) => log.described) }, new Map(read.map((log) => [log.name, log.gzip])));
  };
}

/** The first `max` bytes of a log, and whether there was more; the rest is not read. */
async function readCapped(log: Readable, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of log as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) {
      log.destroy();
      return { bytes: Buffer.concat(chunks).subarray(0, max), truncated: true };
    }
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

const truncationNotice = (max: number) => Buffer.from(`\n[petrel: the archive keeps this log's first ${formatBytes(max)} only; PETREL_ARCHIVE_MAX_LOG sets how much]\n`);

const formatBytes = (bytes: number) => (bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MB` : `${bytes} bytes`);
