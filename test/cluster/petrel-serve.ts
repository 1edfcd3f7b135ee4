import { existsSync, readFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts } from "./ports.js";
import { spawnDaemon, stopDaemon, type Daemon } from "./processes.js";
import { waitUntil } from "./wait.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

/** `ca`: with TLS, the CA certificate Petrel generated, in PEM. */
export type PetrelServe = { url: string; ca: string | undefined; daemon: Daemon; stop: () => Promise<void>; kill: () => Promise<void> };

export type PetrelServeOptions = {
  nomadAddr: string;
  consulAddr: string;
  /** Where its log goes, as `petrel-<port>.log`. */
  logDir: string;
  /** Its whole environment besides the addresses and the listen port. */
  env: NodeJS.ProcessEnv;
  /** Node's own flags, e.g. a CPU profile for a benchmark. */
  nodeArgs?: string[];
  /** Serve HTTPS with the CA and certificate Petrel makes in this folder (PETREL_TLS_DIR). */
  tlsDir?: string;
};

/**
 * `petrel serve` as its own process on a free loopback port, against the
 * cluster named, ready once it answers /healthz: for what only a real process
 * shows (a `kill -9`, replicas) and for benchmarks that must not share its CPU.
 */
export async function spawnPetrelServe({ nomadAddr, consulAddr, logDir, env, nodeArgs = [], tlsDir }: PetrelServeOptions): Promise<PetrelServe> {
  const [port] = await freePorts(1);
  const url = `${tlsDir ? "https" : "http"}://127.0.0.1:${port}`;
  const tls = tlsDir ? { PETREL_TLS: "true", PETREL_TLS_DIR: tlsDir } : {};
  const daemon = spawnDaemon("petrel", process.execPath, [...nodeArgs, "--import", "tsx", cli, "serve"], {
    cwd: process.cwd(),
    env: { ...env, ...tls, NOMAD_ADDR: nomadAddr, CONSUL_HTTP_ADDR: consulAddr, PETREL_LISTEN: `127.0.0.1:${port}` },
    logFile: join(logDir, `petrel-${port}.log`),
  });
  let ca: string | undefined;
  if (tlsDir) ca = await waitUntil("Petrel's CA", () => Promise.resolve(existsSync(join(tlsDir, "ca.pem")) ? readFileSync(join(tlsDir, "ca.pem"), "utf8") : undefined));
  await waitUntil(`petrel serve on ${url}`, async () => ((await healthz(url, ca).catch(() => false)) ? true : undefined));
  return {
    url,
    ca,
    daemon,
    stop: () => stopDaemon(daemon),
    kill: async () => {
      process.kill(-daemon.pid, "SIGKILL");
      await daemon.exited;
    },
  };
}

/** /healthz answers 200, over HTTPS verified against `ca` when there is one. */
async function healthz(url: string, ca: string | undefined): Promise<boolean> {
  if (ca === undefined) return (await fetch(`${url}/healthz`)).ok;
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).once("error", reject);
  });
}
