/**
 * What Petrel keeps in Consul per 1,000 builds: keys and KV bytes under
 * `<prefix>/_petrel/` while the builds wait, once they ended, and once Nomad
 * has forgotten them and the keys are swept. Builds report to a real Gitea;
 * the node is ineligible, so they wait until they are stopped.
 *
 *   npm run bench:keys        (BENCH_BUILDS, default 200, scaled to 1,000)
 */
import { createHmac, randomUUID } from "node:crypto";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { writeRepoConfig } from "../src/consul/repo-config.js";
import { listKeys } from "../src/consul/sweep-keys.js";
import { sweepOnce } from "../src/janitor.js";
import { createLogger } from "../src/log.js";
import { createNomad } from "../src/nomad/client.js";
import { childrenOf, registerBuilder } from "../test/cluster/builder.js";
import { startCluster } from "../test/cluster/cluster.js";
import { startGitea } from "../test/cluster/gitea.js";
import { spawnPetrelServe } from "../test/cluster/petrel-serve.js";
import { waitUntil } from "../test/cluster/wait.js";
import { GiteaClient } from "../test/forge/gitea-api.js";
import { pushCommit } from "../test/forge/gitea-git.js";
import { giteaPush } from "../test/support/payloads.js";
import { purgeJob } from "../test/support/purge-job.js";

const builds = Number(process.env.BENCH_BUILDS ?? 200);
const secret = "bench-keys-secret-8f14e45f";
const prefix = "petrel-bench-keys";

const cluster = await startCluster();
const gitea = await startGitea();
try {
  const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr, PETREL_KV_PREFIX: prefix });
  const [nomad, consul] = [createNomad(config.nomad), createConsul(config.consul)];
  const node = (await nomad.nodes())[0]!;
  await fetch(`${cluster.nomadAddr}/v1/node/${node.ID}/eligibility`, { method: "POST", body: JSON.stringify({ NodeID: node.ID, Eligibility: "ineligible" }) });
  const builder = await registerBuilder(nomad);
  const alice = await new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token).createUser("alice");
  const repo = await alice.createRepo("widget");
  const commit = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { ".albatros": "#!/bin/sh\n" }, message: "CI" });
  await writeRepoConfig(consul, prefix, repo.clone_url, { hook: { secret }, gitea: { url: gitea.url, token: alice.token }, trusted: { senders: ["alice"] }, inject: "K=V\n", builder });
  const petrel = await spawnPetrelServe({ nomadAddr: cluster.nomadAddr, consulAddr: cluster.consulAddr, logDir: cluster.runDir, env: { ...process.env, PETREL_LOG_LEVEL: "warn", PETREL_KV_PREFIX: prefix, PETREL_SWEEP_INTERVAL: "86400" } });
  try {
    const measure = async () => {
      const entries = await listKeys(consul, `${prefix}/_petrel/`);
      const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.Key) + Buffer.byteLength(entry.Value ?? ""), 0);
      return { keys: entries.length, bytes };
    };
    const isFinal = (value: string | null) => !["pending", "running"].includes((JSON.parse(value ?? "{}") as { state?: string }).state ?? "pending");
    const reported = async (final: boolean) => (await listKeys(consul, `${prefix}/_petrel/reported/`)).filter((entry) => isFinal(entry.Value) === final).length;

    // Twenty branches, as a team's pushes spread over them.
    for (let i = 0; i < builds; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, builds - i) }, async (_, j) => {
        // One commit for all (its statuses must land on a real one); a push of its own each, as Gitea numbers them.
        const body = JSON.stringify({ ...giteaPush({ cloneUrl: repo.clone_url, after: commit, ref: `refs/heads/topic-${(i + j) % 20}`, sender: "alice" }), total_commits: i + j });
        const response = await fetch(`${petrel.url}/hook`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-gitea-event": "push", "x-gitea-delivery": randomUUID(), "x-gitea-signature": createHmac("sha256", secret).update(body).digest("hex") },
          body,
        });
        if (response.status !== 200) throw new Error(`hook answered ${response.status}: ${await response.text()}`);
      }));
    }
    const children = (await childrenOf(nomad, builder)).map((child) => child.id);
    await waitUntil("every build's first status", async () => ((await reported(false)) + (await reported(true)) >= children.length ? true : undefined), { timeoutMs: 300_000, intervalMs: 500 });
    const waiting = await measure();
    for (const id of children) await nomad.jobs.stop(id);
    await waitUntil("every build's final status", async () => ((await reported(true)) >= children.length ? true : undefined), { timeoutMs: 300_000, intervalMs: 500 });
    const ended = await measure();
    for (const id of children) await purgeJob(cluster.nomadAddr, id);
    const sweepStarted = performance.now();
    const swept = await sweepOnce({ consul, nomad, kvPrefix: prefix, logger: createLogger("warn") });
    const sweepMs = performance.now() - sweepStarted;
    const after = await measure();

    const per1000 = (value: number) => Math.round((value * 1000) / children.length);
    console.log(`Petrel's keys in Consul (${children.length} builds from ${builds} hooks, scaled to 1,000 builds)`);
    for (const [name, at] of [["waiting", waiting], ["ended", ended], ["forgotten by Nomad, swept", after]] as const) {
      console.log(`${name.padEnd(26)} ${String(per1000(at.keys)).padStart(6)} keys  ${String(per1000(at.bytes)).padStart(8)} bytes`);
    }
    const left = (await listKeys(consul, `${prefix}/_petrel/`)).map((entry) => entry.Key.slice(prefix.length + 9));
    console.log(`sweep: ${JSON.stringify(swept)} in ${sweepMs.toFixed(0)} ms; left: ${left.join(", ")}`);
  } finally {
    await petrel.stop();
  }
} finally {
  await gitea.stop();
  await cluster.stop();
}
