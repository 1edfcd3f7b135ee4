import type { Request } from "express";
import type { Nomad } from "../nomad/client.js";
import { UpstreamError } from "../upstream-error.js";

/** Why a secrets URL was refused to who asked: 401 without a valid identity, 403 for another workload's. */
export class BuildIdentityError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = "BuildIdentityError";
  }
}

const notThisBuild = "this workload identity is not the running executor of the build this URL was issued to";

/**
 * A build's secrets URL opens only for that build: the request carries the
 * executor task's Nomad workload identity, which Nomad signed for one task of
 * one allocation, that allocation is alive, and its job — a child of the
 * builder the identity names — carries this very URL in its meta. A copy of the URL read from Nomad (anyone who can
 * list jobs can) opens nothing, nor does another build's identity.
 */
export async function checkBuildIdentity(nomad: Nomad, req: Request, token: string): Promise<void> {
  const bearer = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "")?.[1];
  if (bearer === undefined) {
    throw new BuildIdentityError(401, "no workload identity: the builder's executor task needs `identity { file = true }`, whose token petrel exec sends as a bearer");
  }
  const claims = await nomad.identity.verify(bearer).catch((error: unknown) => {
    throw (error as { status?: unknown }).status === 401 ? new BuildIdentityError(401, (error as Error).message) : error;
  });
  if (claims.task !== "executor") throw new BuildIdentityError(403, notThisBuild);
  // A dispatched child's identity names its parent job (the builder); its allocation names the child.
  const alloc = await nomad.allocation(claims.allocationId).catch(absentAs404);
  if (!alloc || !(alloc.ClientStatus === "pending" || alloc.ClientStatus === "running")) throw new BuildIdentityError(403, notThisBuild);
  const child = await nomad.jobs.find(alloc.JobID);
  const ofThatBuilder = child !== undefined && (child.ParentID === claims.jobId || child.ID === claims.jobId);
  if (!ofThatBuilder || child.Meta?.SECRETS_URL?.endsWith(`/secrets/build/${token}`) !== true) throw new BuildIdentityError(403, notThisBuild);
}

function absentAs404(error: unknown): undefined {
  if (error instanceof UpstreamError && error.status === 404) return undefined;
  throw error;
}
