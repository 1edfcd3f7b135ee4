import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { createArchiveBuild } from "../archive/archive-build.js";
import { openArchive } from "../archive/open-archive.js";
import type { Config } from "../config.js";
import { createConsul } from "../consul/client.js";
import { followRepoConfigs } from "../consul/repo-configs.js";
import { createLogger } from "../log.js";
import { createNomad } from "../nomad/client.js";
import { createJobSightings } from "../nomad/job-sightings.js";
import { createMetrics } from "../metrics.js";
import { startReporter } from "../report/reporter.js";
import { startJanitor } from "../janitor.js";
import { serverTls } from "../pki/server-tls.js";
import { createApp } from "./app.js";

/** `petrel serve`: listen until SIGINT/SIGTERM, then finish open requests and exit. */
export async function serve(config: Config): Promise<Server> {
  const logger = createLogger(config.logLevel);
  const [nomad, consul, metrics] = [createNomad(config.nomad), createConsul(config.consul), createMetrics()];
  const tls = config.tls && serverTls(config.tls, config.listen.host);
  const repoConfigs = followRepoConfigs({ consul, prefix: config.kvPrefix, logger });
  const archive = config.archive && (await openArchive(config.archive));
  const sightings = createJobSightings();
  const app = createApp({ config, nomad, consul, repoConfigs, logger, metrics, sightings, ...(tls ? { caCert: tls.ca } : {}), ...(archive ? { archive } : {}) });
  // Client certificates are asked for, not required: the boot routes check them, hooks and builds don't.
  const server = tls ? createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" }, app) : createHttpServer(app);
  // A certificate Petrel's CA did not sign ends the connection; no certificate at all is fine.
  server.on("secureConnection", (socket: TLSSocket) => {
    if (!socket.authorized && socket.getPeerCertificate().raw !== undefined) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  logger.info(
    { listen: `${config.listen.host}:${config.listen.port}`, url: config.publicUrl, nomad: config.nomad.addr, consul: config.consul.addr, kvPrefix: config.kvPrefix, archive: archive?.location },
    "petrel is serving",
  );
  const archiveBuild = archive && config.archive && createArchiveBuild({ nomad, archive, maxLogBytes: config.archive.maxLogBytes });
  const reporter = startReporter({ nomad, consul, repoConfigs, sightings, kvPrefix: config.kvPrefix, publicUrl: config.publicUrl, metrics, logger, ...(archiveBuild ? { archiveBuild } : {}) });
  const store = config.archive?.store;
  const retention = archive && store?.kind === "folder" ? { retention: { archive, retentionDays: store.retentionDays } } : {};
  const janitor = startJanitor({ nomad, consul, kvPrefix: config.kvPrefix, logger, ...retention }, config.sweepIntervalSeconds);
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    void reporter.stop();
    janitor.stop();
    repoConfigs.stop();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  return server;
}
