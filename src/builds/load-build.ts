import type { Nomad } from "../nomad/client.js";
import type { AllocationStub, JobSummary } from "../nomad/types.js";
import { missingBuildMeta } from "./build-meta.js";

/** No such job in Nomad (never dispatched, or garbage-collected since). */
export class BuildNotFoundError extends Error {
  readonly status = 404;
  constructor(job: string) {
    super(`no job '${job}' in Nomad`);
    this.name = "BuildNotFoundError";
  }
}

/** The job exists but is not a dispatched builder child, so it has no build to show. */
export class NotABuildError extends Error {
  readonly status = 400;
  constructor(job: string, why: string) {
    super(`job '${job}' is not a build: ${why}`);
    this.name = "NotABuildError";
  }
}

export type LoadedBuild = { job: JobSummary; allocations: AllocationStub[] };

/** A build is a dispatched child of a builder: a parent, and the Albatros meta naming what it builds. */
export async function loadBuild(nomad: Nomad, jobId: string): Promise<LoadedBuild> {
  const job = await findBuild(nomad, jobId);
  const { value: allocations } = await nomad.jobs.allocations(jobId);
  return { job, allocations };
}

/** The dispatched builder child by that id; BuildNotFoundError (404) or NotABuildError (400) otherwise. */
export async function findBuild(nomad: Nomad, jobId: string): Promise<JobSummary> {
  const job = await nomad.jobs.find(jobId);
  if (!job) throw new BuildNotFoundError(jobId);
  checkIsBuild(job);
  return job;
}

export function checkIsBuild(job: JobSummary): void {
  if (!job.ParentID) throw new NotABuildError(job.ID, "it was not dispatched from a parameterized builder job");
  const missing = missingBuildMeta(job.Meta ?? {});
  if (missing.length > 0) throw new NotABuildError(job.ID, `its meta has no ${missing.join(" or ")}`);
}
