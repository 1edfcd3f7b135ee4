import type { Server } from "node:http";
import { Writable } from "node:stream";
import { inject } from "vitest";
import { openArchive } from "../../src/archive/open-archive.js";
import { readConfig, type Config, type Env } from "../../src/config.js";
import { createConsul } from "../../src/consul/client.js";
import { followRepoConfigs, type RepoConfigs } from "../../src/consul/repo-configs.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics.js";
import { createNomad } from "../../src/nomad/client.js";
import { createJobSightings } from "../../src/nomad/job-sightings.js";
import { startReporter } from "../../src/report/reporter.js";
import { createApp } from "../../src/server/app.js";
import { freePorts } from "../cluster/ports.js";
import "../cluster/provided.js";

export type TestPetrel = {
  url: string;
  config: Config;
  /** The repository configs this Petrel follows, for a reporter beside it. */
  repoConfigs: RepoConfigs;
  /** Every log line Petrel wrote so far, as JSON lines. */
  logs: () => string;
  stop: () => Promise<void>;
};

/**
 * Petrel's app on a free loopback port against the test cluster (or whatever
 * `env` names instead), with its log lines captured. `followEvents` runs the
 * reporter beside it as `petrel serve` does, showing the dispatcher Nomad's
 * event stream.
 */
export async function startPetrel(env: Env = {}, { followEvents = false } = {}): Promise<TestPetrel> {
  const cluster = inject("cluster");
  const [port] = await freePorts(1);
  const config = readConfig({
    NOMAD_ADDR: cluster.nomadAddr,
    CONSUL_HTTP_ADDR: cluster.consulAddr,
    PETREL_KV_PREFIX: "petrel-test",
    PETREL_LISTEN: `127.0.0.1:${port}`,
    ...env,
  });
  let lines = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines += chunk.toString();
      done();
    },
  });
  const consul = createConsul(config.consul);
  const logger = createLogger("info", destination);
  const repoConfigs = followRepoConfigs({ consul, prefix: config.kvPrefix, logger });
  const archive = config.archive && (await openArchive(config.archive));
  const nomad = createNomad(config.nomad);
  const sightings = createJobSightings();
  const reporter = followEvents ? startReporter({ nomad, consul, repoConfigs, sightings, kvPrefix: config.kvPrefix, publicUrl: config.publicUrl, metrics: createMetrics(), logger }) : undefined;
  await reporter?.ready;
  const app = createApp({ config, nomad, consul, repoConfigs, logger, sightings, ...(archive ? { archive } : {}) });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(config.listen.port, config.listen.host, () => resolve(listening));
  });
  return {
    url: config.publicUrl,
    config,
    repoConfigs,
    logs: () => lines,
    stop: async () => {
      await reporter?.stop();
      await new Promise<void>((resolve) => {
        repoConfigs.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
