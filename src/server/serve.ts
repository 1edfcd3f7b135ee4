import type { Server } from "node:http";
import type { Config } from "../config.js";
import { createConsul } from "../consul/client.js";
import { createLogger } from "../log.js";
import { createNomad } from "../nomad/client.js";
import { createMetrics } from "../metrics.js";
import { startReporter } from "../report/reporter.js";
import { createApp } from "./app.js";

/** `petrel serve`: listen until SIGINT/SIGTERM, then finish open requests and exit. */
export async function serve(config: Config): Promise<Server> {
  const logger = createLogger(config.logLevel);
  const [nomad, consul, metrics] = [createNomad(config.nomad), createConsul(config.consul), createMetrics()];
  const app = createApp({ config, nomad, consul, logger, metrics });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.listen.port, config.listen.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  logger.info(
    { listen: `${config.listen.host}:${config.listen.port}`, url: config.publicUrl, nomad: config.nomad.addr, consul: config.consul.addr, kvPrefix: config.kvPrefix },
    "petrel is serving",
  );
  const reporter = startReporter({ nomad, consul, kvPrefix: config.kvPrefix, publicUrl: config.publicUrl, metrics, logger });
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    void reporter.stop();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  return server;
}
