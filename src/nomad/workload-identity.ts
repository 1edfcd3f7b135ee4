import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from "jose";
import type { NomadHttp } from "./http.js";

/** What Nomad says about a task in its workload identity (a JWT the servers' keyring signs). */
export type WorkloadClaims = { namespace: string; jobId: string; allocationId: string; task: string };

/** A bearer that is no workload identity Nomad signed: expired, forged, or no JWT at all. */
export class WorkloadIdentityError extends Error {
  readonly status = 401;
}

/**
 * The audience of Nomad's default workload identity. It carries no expiry:
 * it lives as long as its allocation, which is what callers check.
 */
const audience = "nomadproject.io";

/**
 * Verifies task identities against Nomad's own public keys
 * (`/.well-known/jwks.json`), fetched through Petrel's Nomad connection (its
 * address, TLS and token) and fetched again when a token names a key not seen
 * yet, as after a keyring rotation.
 */
export function createWorkloadIdentity(http: NomadHttp) {
  let keys: Promise<ReturnType<typeof createLocalJWKSet>> | undefined;
  const load = (fresh: boolean) => {
    if (fresh || keys === undefined) {
      keys = http.json<JSONWebKeySet>("GET", "/.well-known/jwks.json").then(createLocalJWKSet);
      keys.catch(() => (keys = undefined));
    }
    return keys;
  };

  async function verifyWith(token: string, fresh: boolean): Promise<WorkloadClaims> {
    const { payload } = await jwtVerify(token, await load(fresh), { audience, requiredClaims: ["nomad_job_id", "nomad_allocation_id"] });
    const claim = (name: string) => (typeof payload[name] === "string" ? payload[name] : "");
    return { namespace: claim("nomad_namespace"), jobId: claim("nomad_job_id"), allocationId: claim("nomad_allocation_id"), task: claim("nomad_task") };
  }

  return {
    async verify(token: string): Promise<WorkloadClaims> {
      try {
        return await verifyWith(token, false).catch((error: unknown) => {
          if (error instanceof errors.JWKSNoMatchingKey) return verifyWith(token, true);
          throw error;
        });
      } catch (error) {
        if (error instanceof errors.JOSEError) throw new WorkloadIdentityError(`the workload identity is not valid (${error.code})`);
        throw error;
      }
    },
  };
}
