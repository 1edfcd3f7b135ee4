import type { Nomad } from "../nomad/client.js";
import { UpstreamUnavailableError } from "../upstream-error.js";

const cacheMs = 5_000;

/**
 * The meta keys a builder job accepts. Nomad refuses a dispatch carrying keys
 * the job doesn't list, and an unchanged Albatros builder lists only its four:
 * Petrel then sends just those. Cached for a few seconds, so a burst of hooks
 * asks Nomad once and a re-registered builder is seen soon after.
 */
export function createBuilderMetaKeys(nomad: Nomad) {
  const cache = new Map<string, { keys: Promise<Set<string>>; at: number }>();

  async function load(jobId: string): Promise<Set<string>> {
    const job = await nomad.jobs.find(jobId);
    // A missing builder is the cluster's to fix; the forge's retry works once it is registered.
    if (!job) throw new UpstreamUnavailableError("Nomad", new Error(`builder job '${jobId}' is not registered`));
    const parameterized = job.ParameterizedJob;
    if (!parameterized) throw new UpstreamUnavailableError("Nomad", new Error(`job '${jobId}' is not a parameterized builder job`));
    return new Set([...(parameterized.MetaRequired ?? []), ...(parameterized.MetaOptional ?? [])]);
  }

  return (jobId: string): Promise<Set<string>> => {
    const cached = cache.get(jobId);
    if (cached && Date.now() - cached.at < cacheMs) return cached.keys;
    const keys = load(jobId);
    cache.set(jobId, { keys, at: Date.now() });
    keys.catch(() => cache.delete(jobId));
    return keys;
  };
}

export function onlyKeys(meta: Record<string, string>, allowed: Set<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).filter(([key]) => allowed.has(key)));
}
