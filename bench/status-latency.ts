/**
 * From a build's task ending in Nomad to its final commit status reaching
 * the forge (GitLab's status API, recorded with arrival times), over real
 * builds dispatched through hooks to `petrel serve`.
 *
 *   npm run bench:status      (BENCH_BUILDS, default 24)
 */
import { randomUUID } from "node:crypto";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { writeRepoConfig } from "../src/consul/repo-config.js";
import { createNomad } from "../src/nomad/client.js";
import { registerBuilder } from "../test/cluster/builder.js";
import { startCluster } from "../test/cluster/cluster.js";
import { spawnPetrelServe } from "../test/cluster/petrel-serve.js";
import { waitUntil } from "../test/cluster/wait.js";
import { startFakeGitlab } from "../test/support/fake-gitlab.js";
import { createLocalRepo } from "../test/support/local-repo.js";
import { gitlabPush } from "../test/support/payloads.js";

const builds = Number(process.env.BENCH_BUILDS ?? 24);
const secret = "bench-status-secret-1234";

const [cluster, gitlab] = await Promise.all([startCluster(), startFakeGitlab()]);
try {
  const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr });
  const nomad = createNomad(config.nomad);
  const builder = await registerBuilder(nomad);
  const repo = createLocalRepo(cluster.runDir, { ".albatros": { content: "#!/bin/sh\necho quick\n", executable: true } });
  const cloneUrl = `file://${repo.url}`;
  await writeRepoConfig(createConsul(config.consul), config.kvPrefix, cloneUrl, { hook: { secret }, gitlab: { url: gitlab.url, token: "bench-gitlab-token", project: 1 }, trusted: { senders: ["alice"] }, builder, autoCancel: false });

  const petrel = await spawnPetrelServe({
    nomadAddr: cluster.nomadAddr,
    consulAddr: cluster.consulAddr,
    logDir: cluster.runDir,
    env: { ...process.env, PETREL_LOG_LEVEL: "warn" },
  });
  const petrelUrl = petrel.url;
  try {
    const jobs: string[] = [];
    // A few at a time, as pushes come: the 2-core machine runs each build for real.
    for (let i = 0; i < builds; i++) {
      const body = JSON.stringify(gitlabPush({ cloneUrl, sha: repo.commit }));
      const response = await fetch(`${petrelUrl}/hook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": randomUUID(), "x-gitlab-token": secret },
        body,
      });
      jobs.push(((await response.json()) as { builds: { job: string }[] }).builds[0]!.job);
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    const finals = new Map<string, number>();
    await waitUntil(`${builds} final statuses`, () => {
      for (const post of gitlab.posted) if (post.body.state === "success" || post.body.state === "failed") finals.set(post.body.target_url!, post.receivedAt);
      return Promise.resolve(finals.size >= builds ? true : undefined);
    }, { timeoutMs: 300_000, intervalMs: 200 });

    const delays: number[] = [];
    for (const job of jobs) {
      const { value: allocations } = await nomad.jobs.allocations(job);
      const finishedAt = allocations[0]?.TaskStates?.executor?.FinishedAt;
      const posted = finals.get(`${petrelUrl}/build?job=${encodeURIComponent(job)}`);
      if (!finishedAt || posted === undefined) throw new Error(`no finish time or final status for ${job}`);
      delays.push(posted - Date.parse(finishedAt));
    }
    delays.sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
    console.log(`task end → final status at the forge, ${builds} real builds: p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${delays.at(-1)!.toFixed(0)} ms (goal: p50 < 1000 ms)`);
  } finally {
    await petrel.stop();
  }
} finally {
  await gitlab.close();
  await cluster.stop();
}
