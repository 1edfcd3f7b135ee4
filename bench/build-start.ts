/**
 * Build start latency under the isolating drivers: from dispatching
 * hcl/builder.hcl on a root Nomad client to the first line of the build
 * script. Under exec with hcl/nomad-client.hcl (its small chroot and the node's
 * system mounted) and with Nomad's default chroot_env (all of /bin /etc /lib*
 * /sbin /usr linked into each task, the baseline), both running Petrel compiled, and
 * under docker in the Dockerfile's builder image, measured in the same run.
 * Under both isolating drivers also from a `git push` to a real Gitea, whose
 * webhook reaches `petrel serve`, to the first line, with where the time went
 * (Nomad's records of the child, its allocation and both tasks). As root.
 *
 *   npm run bench:start            (BENCH_ROUNDS, default 5)
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { writeRepoConfig } from "../src/consul/repo-config.js";
import { createNomad, type Nomad } from "../src/nomad/client.js";
import { checkout, childrenOf, giveToCheckoutUser, registerIsolatedBuilder } from "../test/cluster/builder.js";
import { buildPetrelImages, importBaseImage, startDocker } from "../test/cluster/docker.js";
import { startGitea } from "../test/cluster/gitea.js";
import { spawnPetrelServe } from "../test/cluster/petrel-serve.js";
import { waitUntil } from "../test/cluster/wait.js";
import { GiteaClient } from "../test/forge/gitea-api.js";
import { WorkTree } from "../test/forge/gitea-git.js";
import { startConsul } from "../test/cluster/consul.js";
import { startNomad } from "../test/cluster/nomad.js";
import { createRunDir } from "../test/cluster/run-dir.js";
import { finishedAllocation, readLog } from "../test/support/allocations.js";
import { createLocalRepo } from "../test/support/local-repo.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

/** The build script prints the time it starts, in ms since the epoch. */
const albatros = { ".albatros": { content: '#!/bin/sh\necho "started $(date +%s%3N)"\n', executable: true } };

/** Where a build's start went, in ms since the epoch: Nomad's records, then the script's first line. */
type Marks = { submitted: number; placed: number; checkout: number; checkedOut: number; executor: number; started: number };
const phases = ["submitted", "placed", "checkout", "checkedOut", "executor", "started"] as const;

/** When `job` went through each phase of its start, up to its build script's first line. */
async function startMarks(nomad: Nomad, job: string): Promise<Marks> {
  const alloc = await finishedAllocation(nomad, job);
  const started = /^started (\d+)$/m.exec(await readLog(nomad, alloc.ID, "stdout"));
  if (!started) throw new Error(`${job} printed no start line: ${await readLog(nomad, alloc.ID, "stderr")}`);
  const at = (time: string | null | undefined) => Date.parse(time ?? "");
  const tasks = alloc.TaskStates ?? {};
  return {
    submitted: (await nomad.jobs.get(job)).SubmitTime! / 1e6,
    placed: (alloc as { CreateTime?: number }).CreateTime! / 1e6,
    checkout: at(tasks.checkout?.StartedAt),
    checkedOut: at(tasks.checkout?.FinishedAt),
    executor: at(tasks.executor?.StartedAt),
    started: Number(started[1]),
  };
}

/** Each phase's time from `origin`, as a sample. */
const sinceOrigin = (marks: Marks, origin: number): Sample => ({ ...Object.fromEntries(phases.map((phase) => [phase, marks[phase] - origin])), total: marks.started - origin }) as Sample;
type Sample = Record<(typeof phases)[number] | "total", number> & { pushed?: number };

/** Dispatch → first line, `rounds` times after one build that fills the git mirror. */
async function startLatencies(nomad: Nomad, builder: string, repo: { url: string; commit: string }): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i <= rounds; i++) {
    const dispatchedAt = Date.now();
    const { DispatchedJobID } = await nomad.jobs.dispatch(builder, { meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: "main", FLAVOR: "default" } });
    const marks = await startMarks(nomad, DispatchedJobID);
    if (i > 0) samples.push(sinceOrigin(marks, dispatchedAt));
  }
  return samples;
}

/**
 * `git push` → first line: a real Gitea's webhook to `petrel serve`, which
 * dispatches `builder`; `rounds` pushes after one that fills the git mirror.
 */
async function pushLatencies(nomad: Nomad, builder: string, addrs: { nomad: string; consul: string }, logDir: string): Promise<Sample[]> {
  const gitea = await startGitea();
  const petrel = await spawnPetrelServe({ nomadAddr: addrs.nomad, consulAddr: addrs.consul, logDir, env: { ...process.env, PETREL_LOG_LEVEL: "warn" } });
  const secret = "bench-start-secret-a87ff679a2f3";
  try {
    const alice = await new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token).createUser("alice");
    const repo = await alice.createRepo("started");
    await writeRepoConfig(createConsul(readConfig({ CONSUL_HTTP_ADDR: addrs.consul }).consul), "petrel", repo.clone_url, { hook: { secret }, trusted: { senders: ["alice"] }, builder, autoCancel: false });
    await alice.addWebhook(alice.username, repo.name, { url: `${petrel.url}/hook`, secret, events: ["push"] });
    const tree = await WorkTree.clone(repo.clone_url, alice);
    const samples: Sample[] = [];
    try {
      for (let i = 0; i <= rounds; i++) {
        tree.write({ ...albatros, round: `${i}\n` });
        const commit = await tree.commit(`round ${i}`);
        const pushedAt = Date.now();
        await tree.push("main");
        const pushed = Date.now() - pushedAt;
        const child = await waitUntil(`the build of ${commit}`, async () => (await childrenOf(nomad, builder)).find((c) => c.meta.COMMIT === commit), { intervalMs: 20 });
        const marks = await startMarks(nomad, child.id);
        if (i > 0) samples.push({ pushed, ...sinceOrigin(marks, pushedAt) });
      }
    } finally {
      tree.remove();
    }
    return samples;
  } finally {
    await petrel.stop();
    await gitea.stop();
  }
}

type Setup = "nomad-chroot" | "exec" | "docker";

/** Under exec, Petrel as a node runs it: compiled (`npm run build`), not through tsx. */
execFileSync("npm", ["run", "--silent", "build"], { cwd: checkout, stdio: "inherit" });
const compiledPetrel = [process.execPath, join(checkout, "dist/cli.js")];

async function measure(setup: Setup): Promise<{ dispatch: Sample[]; push?: Sample[] }> {
  const run = createRunDir("petrel-bench-start-");
  const consul = await startConsul(run);
  const repos = run.sub("repos");
  const repo = createLocalRepo(repos, albatros);
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
      ...(image ? { driver: "docker", image } : { petrel_command: compiledPetrel }),
    });
    const dispatch = await startLatencies(nomad, builder, repo);
    if (setup === "nomad-chroot") return { dispatch };
    return { dispatch, push: await pushLatencies(nomad, builder, { nomad: agent.addr, consul: consul.addr }, run.path) };
  } finally {
    await agent.stop();
    await engine?.stop();
    await consul.stop();
    await run.remove();
  }
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const stats = (values: number[]) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
const baseline = await measure("nomad-chroot");
const results = [
  ["exec, Nomad's default chroot_env (baseline)", baseline],
  ["exec, hcl/nomad-client.hcl", await measure("exec")],
  ["docker, the Dockerfile's builder image", await measure("docker")],
] as const;
const floor = stats(baseline.dispatch.map((sample) => sample.total)).median;
console.log(`build start latency, ${rounds} builds after one warm-up, ms`);
for (const [name, samples] of results) {
  for (const [from, list] of [["dispatch", samples.dispatch], ["git push", samples.push]] as const) {
    if (list === undefined) continue;
    const r = stats(list.map((sample) => sample.total));
    console.log(`${name.padEnd(44)} ${from.padEnd(8)} → first line  median ${r.median.toFixed(0).padStart(6)}  min ${r.min.toFixed(0).padStart(6)}  max ${r.max.toFixed(0).padStart(6)}  ×${(r.median / floor).toFixed(2)} baseline`);
    // Medians of each mark since the origin: where the time went.
    const steps = [...(from === "git push" ? (["pushed"] as const) : []), ...phases].map((phase) => `${phase} ${median(list.map((sample) => sample[phase]!)).toFixed(0)}`);
    console.log(`${"".padEnd(44)} ${"".padEnd(8)}   marks: ${steps.join(", ")}`);
  }
}
