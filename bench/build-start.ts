/**
 * Build start latency under the isolating drivers: from dispatching
 * hcl/builder.hcl on a root Nomad client to the first line of the build
 * script. Under exec with the chroot of hcl/nomad-client.hcl and with Nomad's
 * default chroot_env (all of /bin /etc /lib* /sbin /usr, the baseline), and
 * under docker in the Dockerfile's builder image, measured in the same run.
 * As root.
 *
 *   npm run bench:start            (BENCH_ROUNDS, default 5)
 */
import { dirname } from "node:path";
import { readConfig } from "../src/config.js";
import { createNomad, type Nomad } from "../src/nomad/client.js";
import { checkout, giveToCheckoutUser, registerIsolatedBuilder } from "../test/cluster/builder.js";
import { buildPetrelImages, importBaseImage, startDocker } from "../test/cluster/docker.js";
import { startConsul } from "../test/cluster/consul.js";
import { startNomad } from "../test/cluster/nomad.js";
import { createRunDir } from "../test/cluster/run-dir.js";
import { finishedAllocation, readLog } from "../test/support/allocations.js";
import { createLocalRepo } from "../test/support/local-repo.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

async function startLatencies(nomad: Nomad, builder: string, repo: { url: string; commit: string }): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const dispatchedAt = Date.now();
    const { DispatchedJobID } = await nomad.jobs.dispatch(builder, { meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: "main", FLAVOR: "default" } });
    const alloc = await finishedAllocation(nomad, DispatchedJobID);
    const started = /^started (\d+)$/m.exec(await readLog(nomad, alloc.ID, "stdout"));
    if (!started) throw new Error(`${DispatchedJobID} printed no start line: ${await readLog(nomad, alloc.ID, "stderr")}`);
    if (i > 0) samples.push(Number(started[1]) - dispatchedAt); // the first build fills the git mirror
  }
  return samples.sort((a, b) => a - b);
}

type Setup = "nomad-chroot" | "exec" | "docker";

async function measure(setup: Setup): Promise<number[]> {
  const run = createRunDir("petrel-bench-start-");
  const consul = await startConsul(run);
  const repos = run.sub("repos");
  // The build script prints the time it starts, in ms since the epoch.
  const repo = createLocalRepo(repos, { ".albatros": { content: '#!/bin/sh\necho "started $(date +%s%3N)"\n', executable: true } });
  // The checkout task fetches it by path, and git reads only its own user's repositories so.
  giveToCheckoutUser(dirname(repo.url));
  const gitCache = giveToCheckoutUser(run.sub("git-cache"));
  const gcroots = run.sub("gcroots");
  const hostVolumes = { nix: "/nix", petrel: checkout, "petrel-gcroots": gcroots, "petrel-git-cache": gitCache, repos };
  const engine = setup === "docker" ? await startDocker(run) : undefined;
  const image = engine ? (await buildPetrelImages(engine, await importBaseImage(engine))).builder : undefined;
  const agent = await startNomad(run, { consulAddr: consul.addr, isolated: { hostVolumes, nomadChroot: setup === "nomad-chroot", ...(engine ? { dockerHost: engine.host } : {}) } });
  try {
    const nomad = createNomad(readConfig({ NOMAD_ADDR: agent.addr }).nomad);
    const builder = await registerIsolatedBuilder(nomad, "bench-builder", {
      git_cache: gitCache,
      gcroots,
      volumes: { nix: { path: "/nix", read_only: true }, petrel: { path: checkout, read_only: true }, repos: { path: repos, read_only: true } },
      ...(image ? { driver: "docker", image } : {}),
    });
    return await startLatencies(nomad, builder, repo);
  } finally {
    await agent.stop();
    await engine?.stop();
    await consul.stop();
    await run.remove();
  }
}

const stats = (samples: number[]) => ({ median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples[samples.length - 1]! });
const baseline = stats(await measure("nomad-chroot"));
const results = [
  ["exec, Nomad's default chroot_env (baseline)", baseline],
  ["exec, hcl/nomad-client.hcl's chroot", stats(await measure("exec"))],
  ["docker, the Dockerfile's builder image", stats(await measure("docker"))],
] as const;
console.log(`build start latency: dispatch → first line of .albatros, ${rounds} builds after one warm-up, ms`);
for (const [name, r] of results) {
  console.log(`${name.padEnd(44)} median ${r.median.toFixed(0).padStart(6)}  min ${r.min.toFixed(0).padStart(6)}  max ${r.max.toFixed(0).padStart(6)}  ×${(r.median / baseline.median).toFixed(2)} baseline`);
}
