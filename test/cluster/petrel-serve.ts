import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts } from "./ports.js";
import { spawnDaemon, stopDaemon, type Daemon } from "./processes.js";
import { waitUntil } from "./wait.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export type PetrelServe = { url: string; daemon: Daemon; stop: () => Promise<void>; kill: () => Promise<void> };

export type PetrelServeOptions = {
  nomadAddr: string;
  consulAddr: string;
  /** Where its log goes, as `petrel-<port>.log`. */
  logDir: string;
  /** Its whole environment besides the addresses and the listen port. */
  env: NodeJS.ProcessEnv;
  /** Node's own flags, e.g. a CPU profile for a benchmark. */
  nodeArgs?: string[];
};

/**
 * `petrel serve` as its own process on a free loopback port, against the
 * cluster named, ready once it answers /healthz: for what only a real process
 * shows (a `kill -9`, replicas) and for benchmarks that must not share its CPU.
 */
export async function spawnPetrelServe({ nomadAddr, consulAddr, logDir, env, nodeArgs = [] }: PetrelServeOptions): Promise<PetrelServe> {
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const daemon = spawnDaemon("petrel", process.execPath, [...nodeArgs, "--import", "tsx", cli, "serve"], {
    cwd: process.cwd(),
    env: { ...env, NOMAD_ADDR: nomadAddr, CONSUL_HTTP_ADDR: consulAddr, PETREL_LISTEN: `127.0.0.1:${port}` },
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
