import { Router, type Request } from "express";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { JobSummary } from "../nomad/types.js";
import { UpstreamError } from "../upstream-error.js";
import { requireApiToken } from "./bearer.js";

export type BuildActionDeps = { nomad: Nomad; apiToken: string | undefined; metrics: Metrics; rerun: (builder: string, meta: Record<string, string>) => Promise<string> };

/**
 * POST /build/cancel?job=… and POST /build/rerun?job=…, for operators and
 * the build page's buttons: a bearer token from config, compared in constant
 * time; without one configured, nobody may.
 */
export function buildActionRoutes({ nomad, apiToken, metrics, rerun }: BuildActionDeps): Router {
  const router = Router();
  const authorized = requireApiToken(apiToken, "cancel and rerun");

  router.post("/build/cancel", authorized, async (req, res) => {
    const build = await findBuild(nomad, req);
    if ("error" in build) return void res.status(build.status).json({ error: build.error });
    await nomad.jobs.stop(build.job.ID);
    metrics.cancels.inc({ reason: "requested" });
    req.log.info({ job: build.job.ID }, "build canceled");
    res.json({ job: build.job.ID, canceled: true });
  });

  router.post("/build/rerun", authorized, async (req, res) => {
    const build = await findBuild(nomad, req);
    if ("error" in build) return void res.status(build.status).json({ error: build.error });
    const job = await rerun(build.job.ParentID!, build.job.Meta!);
    req.log.info({ job, of: build.job.ID }, "build rerun");
    res.status(201).json({ job, rerunOf: build.job.ID });
  });
  return router;
}

type Found = { job: JobSummary } | { status: 400 | 404; error: string };

/** The dispatched builder child `?job=` names, or why not. */
async function findBuild(nomad: Nomad, req: Request): Promise<Found> {
  const id = typeof req.query.job === "string" ? req.query.job : undefined;
  if (!id) return { status: 400, error: "job: missing; expected ?job=<dispatched job id>" };
  let job: JobSummary;
  try {
    job = await nomad.jobs.get(id);
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404) return { status: 404, error: `no job ${id} in Nomad` };
    throw error;
  }
  if (!job.ParentID || !job.Meta?.REPO_URL || !job.Meta.COMMIT) return { status: 400, error: `${id} is not a dispatched build` };
  return { job };
}
