import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCacheScript } from "./agents.js";
import { unmountUnder } from "./mounts.js";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

const run$ = promisify(execFile);
const baseScript = fileURLToPath(new URL("build-base-image.sh", import.meta.url));
const contextDir = fileURLToPath(new URL("../..", import.meta.url));

export type RunningDocker = {
  /** DOCKER_HOST of this engine: a socket in the run's folder. */
  host: string;
  /** `docker …` against this engine; answers stdout. */
  docker: (...args: string[]) => Promise<string>;
  stop: () => Promise<void>;
};

/**
 * Debian's `dockerd` as root with everything in the run's folder: images,
 * containers, its containerd, its socket. It makes no bridge and touches no
 * iptables or forwarding: the test's containers use the host's network, as
 * hcl/builder.hcl and hcl/petrel.hcl run them, where the agents listen on
 * loopback. Ready when it answers `docker version`.
 */
export async function startDocker(run: RunDir): Promise<RunningDocker> {
  if (process.getuid?.() !== 0) throw new Error("dockerd must be started as root");
  const dir = run.sub("docker");
  const socket = join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const config = join(dir, "daemon.json");
  // An empty configuration of its own, so the machine's /etc/docker/daemon.json doesn't apply.
  writeFileSync(config, "{}\n");
  const docker = async (...args: string[]) =>
    (await run$("docker", args, { env: { ...process.env, DOCKER_HOST: host }, maxBuffer: 64 * 1024 * 1024 })).stdout;
  const ownFolders = machineFolders.filter((folder) => !existsSync(folder));
  const daemon = await startAgent(run, {
    name: "dockerd",
    command: "dockerd",
    args: [
      ...["--config-file", config, "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec")],
      ...["--host", host, "--pidfile", join(dir, "docker.pid"), "--log-level", "warn"],
      ...["--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false"],
    ],
    dir,
    asInvoker: true,
    readiness: "dockerd answering on its socket",
    ready: async () => (await docker("version", "--format", "{{.Server.Version}}").catch(() => "")).trim() !== "",
  });
  return {
    host,
    docker,
    stop: async () => {
      await stopDaemon(daemon, 20_000);
      // Layers and the network namespace stay mounted after it exits.
      unmountUnder(dir);
      for (const folder of ownFolders) removeEmptyFolders(folder);
    },
  };
}

/**
 * Folders dockerd and containerd make whatever --exec-root says: the plugin
 * discovery folder, and the shims' socket folder. Empty once they are gone.
 */
const machineFolders = ["/run/docker", "/run/containerd"];

/** Removes `folder` if it holds nothing but empty folders. */
function removeEmptyFolders(folder: string): void {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return;
  for (const entry of readdirSync(folder)) removeEmptyFolders(`${folder}/${entry}`);
  if (readdirSync(folder).length === 0) rmdirSync(folder);
}

/** The Debian + Node base for `--build-arg BASE=`, imported from the machine's cached tar (built by build-base-image.sh once). */
export async function importBaseImage(engine: RunningDocker): Promise<string> {
  const tar = await runCacheScript(baseScript, [], { buildIfMissing: true });
  if (!tar) throw new Error("could not build the base image: see the output of build-base-image.sh above");
  const name = `petrel-base:${tar.replace(/^.*\/|\.tar$/g, "")}`;
  await engine.docker(
    "import",
    ...["--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    ...["--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"],
    tar,
    name,
  );
  return name;
}

export type PetrelImages = { serve: string; builder: string; base: string };

export type ImageBuild = { base: string; tag: string; target?: string; context?: string };

/** Builds a Dockerfile (this checkout's by default) on a local base; its npm and apt reach their registries as this machine does. */
export function buildImage(engine: RunningDocker, { base, tag, target, context = contextDir }: ImageBuild): Promise<string> {
  return engine.docker("build", "--quiet", "--network", "host", "--build-arg", `BASE=${base}`, ...(target ? ["--target", target] : []), "--tag", tag, context);
}

/** Builds this checkout's Dockerfile on the local base: the serving image and the builder's. */
export async function buildPetrelImages(engine: RunningDocker, base: string, tag = "test"): Promise<PetrelImages> {
  const images = { serve: `petrel:${tag}`, builder: `petrel-builder:${tag}`, base };
  await buildImage(engine, { base, target: "serve", tag: images.serve });
  await buildImage(engine, { base, target: "builder", tag: images.builder });
  return images;
}
