import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { freePorts } from "../cluster/ports.js";
import { spawnDaemon, stopDaemon, type Daemon } from "../cluster/processes.js";
import { waitUntil } from "../cluster/wait.js";
import "../cluster/provided.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export type PetrelProcess = { url: string; daemon: Daemon; stop: () => Promise<void>; kill: () => Promise<void> };

/**
 * `petrel serve` as its own process against the test cluster, for what only
 * a real process shows: a `kill -9` mid-build, two replicas side by side.
 */
export async function startPetrelProcess(logDir: string, env: Record<string, string> = {}): Promise<PetrelProcess> {
  const cluster = inject("cluster");
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const daemon = spawnDaemon("petrel", process.execPath, ["--import", "tsx", cli, "serve"], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      NOMAD_ADDR: cluster.nomadAddr,
      CONSUL_HTTP_ADDR: cluster.consulAddr,
      PETREL_KV_PREFIX: "petrel-test",
      PETREL_LISTEN: `127.0.0.1:${port}`,
      ...env,
    },
    logFile: join(logDir, `petrel-${port}.log`),
  });
  await waitUntil(`petrel serve on ${url}`, async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined));
  return {
    url,
    daemon,
    stop: () => stopDaemon(daemon),
    kill: async () => {
      process.kill(-daemon.pid, "SIGKILL");
      await daemon.exited;
    },
  };
}
