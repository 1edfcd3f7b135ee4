/**
 * 1,000 hooks, 50 at once, 200 of them redeliveries of earlier ones, all
 * pushes to one branch (so auto-cancel stops each build its successor
 * supersedes), against 1,000 dispatches sent straight to Nomad at the same
 * concurrency and against the same agent work sent straight; each run starts
 * with no children left by the one before. Then it checks what Petrel
 * answered: every delivery built once, each redelivery answered with its
 * delivery's jobs, every job id a real job. The node is ineligible, so
 * children stay pending.
 *
 * With BENCH_PINNED=1 (2 cores or more) Nomad and Consul run on core 0 and
 * Petrel, with this process sending the load, on core 1, as in a cluster
 * where Petrel runs apart from the agents: the ratio is then what Petrel
 * costs, not the CPU it shares.
 *
 *   npm run bench:hookload     (BENCH_HOOKS, default 1000; BENCH_PINNED)
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { createAutoCancel } from "../src/dispatch/auto-cancel.js";
import type { BuildRequest } from "../src/forge/build-request.js";
import { createLogger } from "../src/log.js";
import { createMetrics } from "../src/metrics.js";
import { giteaPush } from "../test/support/payloads.js";
import { purgeJob } from "../test/support/purge-job.js";
import { costs, perHook, withHookBench } from "./hook-bench.js";
import { runAtOnce as run } from "./stats.js";

const hooks = Number(process.env.BENCH_HOOKS ?? 1000);
const redeliveries = Math.round(hooks / 5);
const concurrency = 50;
const pinned = process.env.BENCH_PINNED === "1";

await withHookBench(async ({ cluster, nomad, petrel, cloneUrl, builder, commit, dispatch, direct, hook }) => {
  if (pinned) {
    // Every thread of every process: the agents (and the tasks' executors) by their run folder, Petrel by its group.
    const agents = execFileSync("pgrep", ["-f", cluster.runDir], { encoding: "utf8" }).trim().split("\n").filter((pid) => pid !== String(petrel.daemon.pid));
    for (const pid of agents) execFileSync("taskset", ["-a", "-p", "-c", "0", pid], { stdio: "ignore" });
    for (const pid of [petrel.daemon.pid, process.pid]) execFileSync("taskset", ["-a", "-p", "-c", "1", String(pid)], { stdio: "ignore" });
  }

  // The hooks: each push to main once, and a fifth of them again, the redelivery sent soon after its first.
  type Delivery = { id: string; body: string };
  const deliveries: Delivery[] = Array.from({ length: hooks - redeliveries }, () => ({ id: randomUUID(), body: JSON.stringify(giteaPush({ cloneUrl, after: commit() })) }));
  const sends: Delivery[] = [...deliveries];
  for (let n = 0; n < redeliveries; n += 1) sends.splice(Math.min(sends.length, n * 5 + 3), 0, deliveries[n * 4]!);
  const answers = new Map<string, string[][]>();
  const send = (delivery: Delivery) => async () => {
    const jobs = (await hook(delivery.body, delivery.id)).builds.map((build) => build.job);
    answers.set(delivery.id, [...(answers.get(delivery.id) ?? []), jobs]);
  };

  // The floor of what these hooks ask of the agents, sent straight: each delivery dispatched with its id as
  // Nomad's idempotency token, and for each first delivery, after its answer and in turn, auto-cancel's own
  // calls (the branch's latest build swapped in Consul, the superseded build read, noted and stopped).
  const logger = createLogger("silent");
  const autoCancel = createAutoCancel({ nomad, consul: createConsul(readConfig({ CONSUL_HTTP_ADDR: cluster.consulAddr }).consul), kvPrefix: "bench-floor", metrics: createMetrics() });
  const dispatched = new Set<string>();
  let cancels: Promise<unknown> = Promise.resolve();
  const sameWork = (delivery: Delivery) => async () => {
    const { job, commit: after } = await dispatch(delivery.id, "floor");
    if (dispatched.has(delivery.id)) return;
    dispatched.add(delivery.id);
    const request = { event: "push", cloneUrl, branch: "floor", commit: after } as BuildRequest;
    cancels = cancels.then(() => autoCancel(request, [{ flavor: "default", builder, job, created: true }], logger));
  };

  // Nomad answers slower the more pending children it holds (a thousand per run here), so each run
  // starts without those of the runs before it: purged, their evaluations collected, and a second
  // for Petrel's event stream to pass the purges by.
  const clearChildren = async () => {
    const { value: children } = await nomad.jobs.children();
    await run(children.map((child) => () => purgeJob(cluster.nomadAddr, child.ID)), 10);
    await fetch(`${cluster.nomadAddr}/v1/system/gc`, { method: "PUT" });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  };

  // Warm both paths (connections, JIT, modules loaded on first use) before measuring, Petrel's on a branch of its own.
  const warmup = (): Delivery => ({ id: randomUUID(), body: JSON.stringify(giteaPush({ cloneUrl, after: commit(), ref: "refs/heads/warmup" })) });
  await run(Array.from({ length: 50 }, () => send(warmup())), 10);
  // What answering runs off the hook's path (auto-cancel, the reporter) is done before the floor is measured.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await run(Array.from({ length: 50 }, () => direct), 10);
  await clearChildren();
  const base = await run(Array.from({ length: hooks }, () => direct), concurrency);
  await clearChildren();
  const agentsOnly = await run(sends.map(sameWork), concurrency);
  await cancels;
  await clearChildren();
  const before = await costs(petrel.url);
  const through = await run(sends.map(send), concurrency);
  // Petrel's off-path work for these hooks (auto-cancel, the reporter) counted too.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const per = perHook(before, await costs(petrel.url), sends.length);

  // What Petrel answered, checked against Nomad.
  const { value: children } = await nomad.jobs.children();
  const real = new Set(children.map((child) => child.ID));
  // The warm-up's children were purged with the runs before: only the measured deliveries are checked.
  const answered = deliveries.map((delivery) => answers.get(delivery.id) ?? []);
  const lost = deliveries.filter((delivery) => !answers.has(delivery.id)).length;
  const split = answered.filter((each) => new Set(each.map((jobs) => jobs.join(" "))).size > 1).length;
  const jobs = new Set(answered.flat(2));
  const unreal = [...jobs].filter((job) => !real.has(job)).length;
  const pushed = new Set(deliveries.map((delivery) => (JSON.parse(delivery.body) as { after: string }).after));
  const built = children.filter((child) => pushed.has(child.Meta?.COMMIT ?? "")).length;

  const ms = (value: number) => `${value.toFixed(0).padStart(5)} ms`;
  console.log(`${hooks} hooks (${redeliveries} redeliveries), one branch, ${concurrency} at once${pinned ? "; agents on core 0, Petrel and the load on core 1" : ""}`);
  console.log(`direct dispatch   ${base.rate.toFixed(0).padStart(4)}/s  p50 ${ms(base.p50)}  p99 ${ms(base.p99)}`);
  console.log(`same agent work   ${agentsOnly.rate.toFixed(0).padStart(4)}/s  p50 ${ms(agentsOnly.p50)}  p99 ${ms(agentsOnly.p99)}  throughput ×${(agentsOnly.rate / base.rate).toFixed(2)}  p50 ×${(agentsOnly.p50 / base.p50).toFixed(2)}`);
  console.log(`through Petrel    ${through.rate.toFixed(0).padStart(4)}/s  p50 ${ms(through.p50)}  p99 ${ms(through.p99)}  throughput ×${(through.rate / base.rate).toFixed(2)}  p50 ×${(through.p50 / base.p50).toFixed(2)}; of the same agent work ×${(through.rate / agentsOnly.rate).toFixed(2)}, p50 ×${(through.p50 / agentsOnly.p50).toFixed(2)}`);
  console.log(`      per hook: Nomad ${per.nomadRead.toFixed(2)} reads ${per.nomadWrite.toFixed(2)} writes, Consul ${per.consulRead.toFixed(2)} reads ${per.consulWrite.toFixed(2)} writes, Petrel CPU ${per.cpuMs.toFixed(2)} ms`);
  console.log(`deliveries ${deliveries.length}: lost ${lost}, answered with different jobs ${split}, job ids not in Nomad ${unreal}, children built ${built} (one each: ${built === deliveries.length})`);
  if (lost + split + unreal > 0 || built !== deliveries.length) process.exitCode = 1;
});
