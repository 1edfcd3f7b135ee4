import { Router, type Request } from "express";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import { findBuild } from "../builds/load-build.js";
import { requireApiToken } from "./bearer.js";

export type BuildActionDeps = { nomad: Nomad; apiToken: string | undefined; metrics: Metrics; rerun: (builder: string, meta: Record<string, string>) => Promise<string> };

/**
 * POST /build/cancel?job=… and POST /build/rerun?job=… (trust decided again), for operators and
 * the build page's buttons: a bearer token from config, compared in constant
 * time; without one configured, nobody may.
 */
export function buildActionRoutes({ nomad, apiToken, metrics, rerun }: BuildActionDeps): Router {
  const router = Router();
  const authorized = requireApiToken(apiToken, "cancel and rerun");

  router.post("/build/cancel", authorized, async (req, res) => {
    const id = jobParam(req);
    if (id === undefined) return void res.status(400).json({ error: missingJob });
    const job = await findBuild(nomad, id);
    await nomad.jobs.stop(job.ID);
    metrics.cancels.inc({ reason: "requested" });
    req.log.info({ job: job.ID }, "build canceled");
    res.json({ job: job.ID, canceled: true });
  });

  router.post("/build/rerun", authorized, async (req, res) => {
    const id = jobParam(req);
    if (id === undefined) return void res.status(400).json({ error: missingJob });
    const job = await findBuild(nomad, id);
    const again = await rerun(job.ParentID!, job.Meta ?? {});
    req.log.info({ job: again, of: job.ID }, "build rerun");
    res.status(201).json({ job: again, rerunOf: job.ID });
  });
  return router;
}

const missingJob = "job: missing; expected ?job=<dispatched job id>";

function jobParam(req: Request): string | undefined {
  return typeof req.query.job === "string" && req.query.job !== "" ? req.query.job : undefined;
}
