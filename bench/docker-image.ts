/**
 * Petrel's image on a real Docker engine: its size, how long it takes to
 * build (on a new engine, again with nothing changed, and again after one
 * source file changed), and how long `petrel serve` takes from `docker run`
 * to answering /healthz, beside two floors measured in the same run: a
 * container that only starts and exits, and the same compiled Petrel started
 * on the host. As root.
 *
 *   npm run bench:image            (BENCH_ROUNDS, default 5)
 */
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startCluster } from "../test/cluster/cluster.js";
import { buildImage, importBaseImage, startDocker, type RunningDocker } from "../test/cluster/docker.js";
import { freePorts } from "../test/cluster/ports.js";
import { createRunDir } from "../test/cluster/run-dir.js";
import { waitUntil } from "../test/cluster/wait.js";
import { median } from "./stats.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const checkout = fileURLToPath(new URL("..", import.meta.url));
/** What the Dockerfile copies (.dockerignore lets nothing else in). */
const contextFiles = ["Dockerfile", ".dockerignore", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src", "hcl", "example"];


async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/** Resolves once GET /healthz answers 200, polling every 10 ms. */
const healthy = (url: string) =>
  waitUntil(`${url}/healthz`, async () => ((await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) ? true : undefined), { timeoutMs: 30_000, intervalMs: 10 });

const run = createRunDir("petrel-bench-image-");
const cluster = await startCluster();
const engine: RunningDocker = await startDocker(run);
const context = mkdtempSync(join(tmpdir(), "petrel-image-context-"));
try {
  for (const file of contextFiles) cpSync(join(checkout, file), join(context, file), { recursive: true });
  const base = await importBaseImage(engine);
  const build = () => buildImage(engine, { base, tag: "petrel:bench", context });
  const cold = await timed(build);
  const unchanged: number[] = [];
  for (let i = 0; i < rounds; i++) unchanged.push(await timed(build));
  const sourceChanged: number[] = [];
  for (let i = 0; i < rounds; i++) {
    appendFileSync(join(context, "src/cli.ts"), `// change ${i}\n`);
    sourceChanged.push(await timed(build));
  }
  const size = Number((await engine.docker("image", "inspect", "--format", "{{.Size}}", "petrel:bench")).trim());
  const baseSize = Number((await engine.docker("image", "inspect", "--format", "{{.Size}}", base)).trim());

  const env = { NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr.replace("http://", "") };
  const containerStart = async (): Promise<number> => {
    const [port] = await freePorts(1);
    const listen = `127.0.0.1:${port}`;
    const envArgs = Object.entries({ ...env, PETREL_LISTEN: listen }).flatMap(([key, value]) => ["--env", `${key}=${value}`]);
    let id = "";
    const elapsed = await timed(async () => {
      id = (await engine.docker("run", "--detach", "--network", "host", ...envArgs, "petrel:bench", "serve")).trim();
      await healthy(`http://${listen}`);
    });
    await engine.docker("rm", "--force", id);
    return elapsed;
  };
  const emptyContainer = () => timed(() => engine.docker("run", "--rm", "--network", "none", "--entrypoint", "true", "petrel:bench"));
  // The same compiled code on the host: the image's /opt/petrel copied out.
  const hostCopy = join(context, "host");
  await engine.docker("create", "--name", "petrel-bench-copy", "petrel:bench");
  await engine.docker("cp", "petrel-bench-copy:/opt/petrel", hostCopy);
  await engine.docker("rm", "petrel-bench-copy");
  const hostStart = async (): Promise<number> => {
    const [port] = await freePorts(1);
    const listen = `127.0.0.1:${port}`;
    let child: ReturnType<typeof spawn> | undefined;
    const elapsed = await timed(async () => {
      child = spawn(process.execPath, [join(hostCopy, "dist/cli.js"), "serve"], { env: { ...process.env, ...env, PETREL_LISTEN: listen }, stdio: "ignore" });
      await healthy(`http://${listen}`);
    });
    child?.kill();
    return elapsed;
  };
  const samples = async (measure: () => Promise<number>) => {
    await measure(); // warms the page cache
    const all: number[] = [];
    for (let i = 0; i < rounds; i++) all.push(await measure());
    return median(all);
  };
  const floor = await samples(emptyContainer);
  const host = await samples(hostStart);
  const container = await samples(containerStart);

  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`Petrel's image on Docker ${(await engine.docker("version", "--format", "{{.Server.Version}}")).trim()}, medians of ${rounds}`);
  console.log(`size                                   ${mb(size)} (the base: ${mb(baseSize)}, Petrel adds ${mb(size - baseSize)})`);
  console.log(`build on a new engine                  ${s(cold)}`);
  console.log(`build again, nothing changed           ${s(median(unchanged))}`);
  console.log(`build again, one source file changed   ${s(median(sourceChanged))}  ×${(median(sourceChanged) / cold).toFixed(2)} of a new engine's`);
  console.log(`container that only exits (floor)      ${floor.toFixed(0)} ms`);
  console.log(`petrel serve on the host → /healthz    ${host.toFixed(0)} ms`);
  console.log(`docker run petrel serve → /healthz     ${container.toFixed(0)} ms  ×${(container / host).toFixed(2)} of the host's, ${(container - floor).toFixed(0)} ms over the floor`);
} finally {
  rmSync(context, { recursive: true, force: true });
  await engine.stop();
  await cluster.stop();
  await run.remove();
}
