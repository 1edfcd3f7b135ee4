import type { ArchivedBuild, BuildArchive } from "../archive/build-archive.js";
import type { Nomad } from "../nomad/client.js";
import type { BuildStatus } from "./build-status.js";
import { BuildNotFoundError, loadBuild, type LoadedBuild } from "./load-build.js";

/** A build as Nomad knows it while it does, else as the archive kept it. */
export type LocatedBuild = { from: "nomad"; build: LoadedBuild } | { from: "archive"; record: ArchivedBuild };

/** Nomad first; once Nomad has forgotten the job, the archive (when there is one); BuildNotFoundError when neither has it. */
export async function locateBuild(nomad: Nomad, archive: BuildArchive | undefined, job: string): Promise<LocatedBuild> {
  try {
    return { from: "nomad", build: await loadBuild(nomad, job) };
  } catch (error) {
    if (!(error instanceof BuildNotFoundError) || archive === undefined) throw error;
    const record = await archive.record(job);
    if (record === undefined) throw error;
    return { from: "archive", record };
  }
}

/** An archived build's status as `/build` and `petrel status` show it: as it ended, and when it was archived. */
export const archivedStatus = (record: ArchivedBuild): BuildStatus => ({ ...record.status, archivedAt: record.archivedAt });
