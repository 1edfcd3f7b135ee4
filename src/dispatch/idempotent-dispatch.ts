import type { Nomad } from "../nomad/client.js";
import type { JobSightings } from "../nomad/job-sightings.js";
import type { DispatchResponse } from "../nomad/types.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";

export type Dispatched = { job: string; created: boolean };

const attempts = 6;

/**
 * Dispatches a child once per idempotency token, and only ever answers a job
 * that exists. Duplicate deliveries racing each other can make Nomad answer a
 * child id it never created; asking again after a moment answers the real
 * one. Within one Petrel, concurrent twins share a single request, so only
 * a twin sent by another replica can race: a new child is confirmed by its
 * registration in Nomad's event stream when that is followed, and read back
 * otherwise.
 */
export function createIdempotentDispatch(nomad: Nomad, sightings: JobSightings) {
  const inFlight = new Map<string, Promise<Dispatched>>();

  async function dispatch(jobId: string, meta: Record<string, string>, token: string): Promise<Dispatched> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const answer = await nomad.jobs.dispatch(jobId, { meta, idempotencyToken: token });
      if (await real(answer)) return { job: answer.DispatchedJobID, created: answer.EvalID !== "" };
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
    throw new UpstreamUnavailableError("Nomad", new Error(`dispatch of ${jobId} kept answering a job that does not exist`));
  }

  async function real(answer: DispatchResponse): Promise<boolean> {
    // Without an evaluation the answer is an existing child, which may have been garbage-collected since.
    const seen = answer.EvalID === "" ? undefined : await sightings.registeredAt(answer.DispatchedJobID, answer.JobCreateIndex);
    return seen ?? exists(answer.DispatchedJobID);
  }

  async function exists(job: string): Promise<boolean> {
    try {
      await nomad.jobs.summary(job);
      return true;
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return false;
      throw error;
    }
  }

  return async (jobId: string, meta: Record<string, string>, token: string | undefined): Promise<Dispatched> => {
    if (token === undefined) {
      const answer = await nomad.jobs.dispatch(jobId, { meta });
      return { job: answer.DispatchedJobID, created: true };
    }
    const key = `${jobId}\u0000${token}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = dispatch(jobId, meta, token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
