import express, { type Express } from "express";
import type { Config } from "../config.js";
import type { BuildArchive } from "../archive/build-archive.js";
import type { Consul } from "../consul/client.js";
import type { RepoConfigs } from "../consul/repo-configs.js";
import { createApprovals } from "../approval/approvals.js";
import { createApprove } from "../approval/approve.js";
import { createBuildDispatcher } from "../dispatch/dispatch-builds.js";
import type { Logger } from "../log.js";
import { createMetrics, type Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import { createJobSightings, type JobSightings } from "../nomad/job-sightings.js";
import { createSingleUse } from "../single-use/single-use.js";
import { buildRoutes } from "./build.js";
import { errorHandler, notFound } from "./errors.js";
import { gatewayRoutes } from "./gateway.js";
import { healthRoutes } from "./health.js";
import { createRerun } from "../dispatch/rerun.js";
import { bootRoutes } from "./boot.js";
import { buildActionRoutes } from "./build-actions.js";
import { historyRoutes } from "./history.js";
import { hookRoutes } from "./hook.js";
import { metricsRoutes } from "./metrics.js";
import { approvalRoutes } from "./approval.js";
import { requestLog } from "./request-log.js";
import { secretsRoutes } from "./secrets.js";

export type AppDeps = {
  config: Config;
  nomad: Nomad;
  consul: Consul;
  /** Every repository's config (`followRepoConfigs`), which its owner stops. */
  repoConfigs: RepoConfigs;
  logger: Logger;
  metrics?: Metrics;
  /** What the reporter's event stream saw registered; without it, each new child is read back from Nomad. */
  sightings?: JobSightings;
  /** Where finished builds are read once Nomad forgets them (`openArchive`). */
  archive?: BuildArchive;
  /** With TLS on: the CA that clients (and gateways) verify Petrel with, served at /ca.pem. */
  caCert?: string;
};

/** The HTTP surface, built from its dependencies so tests can aim it at any cluster. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(requestLog(deps.logger));
  const { config, nomad, consul, repoConfigs } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const singleUse = createSingleUse({ consul, prefix: config.kvPrefix });
  const dispatchBuilds = createBuildDispatcher({ nomad, sightings: deps.sightings ?? createJobSightings(), singleUse, publicUrl: config.publicUrl, secretsTtlSeconds: config.secretsTtlSeconds });
  app.use(healthRoutes(deps));
  app.use(metricsRoutes({ metrics }));
  const approvals = createApprovals({ consul, kvPrefix: config.kvPrefix });
  const approve = createApprove({ repoConfigs, approvals, dispatchBuilds });
  app.use(hookRoutes({ nomad, consul, repoConfigs, kvPrefix: config.kvPrefix, dispatchBuilds, metrics, approvals, approve, publicUrl: config.publicUrl }));
  const archive = deps.archive ? { archive: deps.archive } : {};
  app.use(buildRoutes({ nomad, ...archive, metrics, maxLogStreams: config.maxLogStreams, logIdleSeconds: config.logIdleSeconds }));
  app.use(historyRoutes({ nomad, ...archive }));
  app.use(secretsRoutes({ nomad, repoConfigs, singleUse }));
  const rerun = createRerun({ repoConfigs, dispatchBuilds });
  app.use(buildActionRoutes({ nomad, apiToken: config.apiToken, metrics, rerun }));
  app.use(approvalRoutes({ approvals, approve, apiToken: config.apiToken }));
  app.use(gatewayRoutes({ nomad, consul, kvPrefix: config.kvPrefix, apiToken: config.apiToken }));
  app.use(bootRoutes({ consul, kvPrefix: config.kvPrefix, singleUse, publicUrl: config.publicUrl, bootSecretsTtlSeconds: config.bootSecretsTtlSeconds }));
  const { caCert } = deps;
  if (caCert !== undefined) app.get("/ca.pem", (_req, res) => void res.type("application/x-pem-file").send(caCert));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
