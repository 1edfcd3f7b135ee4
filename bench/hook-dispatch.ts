/**
 * Hook → dispatched child through Petrel, against the same dispatch sent
 * straight to Nomad, in one run on one cluster. The node is made ineligible
 * first, so children stay pending and don't take the CPU from the dispatch
 * path being measured. Petrel's CPU per hook is set against a bare relay's
 * (bench/bare-relay.ts: the same hook, dispatch and Consul write, nothing else).
 * The three paths take turns in rounds, so a machine's drift weighs on each.
 *
 *   npm run bench:hook        (BENCH_REQUESTS per level, default 600, in BENCH_ROUNDS rounds, default 3)
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { giteaPush } from "../test/support/payloads.js";
import { costs, perHook, withHookBench, type Costs } from "./hook-bench.js";
import { percentile, runAtOnce, type Run } from "./stats.js";

const requests = Number(process.env.BENCH_REQUESTS ?? 600);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const levels = [1, 10, 50];
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
// BENCH_PROFILE=<dir>: the relay writes its CPU profile beside Petrel's.
const profileArgs = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];

await withHookBench(async ({ cluster, petrel, cloneUrl, builder, secret, commit, direct, hook }) => {
  const petrelUrl = petrel.url;
  // A branch per push, as from many developers: auto-cancel looks, but finds nothing to stop.
  const push = () => {
    const after = commit();
    return JSON.stringify(giteaPush({ cloneUrl, after, ref: `refs/heads/topic-${after.slice(-6)}` }));
  };
  const throughPetrel = async () => void (await hook(push()));
  const relay = spawn(process.execPath, [...profileArgs, "--import", "tsx", new URL("./bare-relay.ts", import.meta.url).pathname], {
    env: { ...process.env, RELAY_NOMAD: cluster.nomadAddr, RELAY_CONSUL: cluster.consulAddr, RELAY_JOB: builder, RELAY_SECRET: secret },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const relayUrl = `http://127.0.0.1:${String(((await once(relay.stdout, "data")) as [Buffer])[0]).trim()}`;
    const relayCpu = async () => Number(await (await fetch(`${relayUrl}/cpu`)).text());
    const throughRelay = async () => void (await hook(push(), undefined, relayUrl));

    // Warm the three paths (connections, JIT, Consul's key cache) before measuring.
    const run = (call: () => Promise<void>, concurrency: number, count: number) => runAtOnce(Array.from({ length: count }, () => call), concurrency);
    await run(direct, 10, 50);
    await run(throughPetrel, 10, 50);
    await run(throughRelay, 10, 50);
    const perRound = Math.ceil(requests / rounds);
    console.log(`hook → dispatched child vs direct Nomad dispatch, ${perRound * rounds} requests per level in ${rounds} rounds, node ineligible`);
    for (const concurrency of levels) {
      const paths = { direct: collectRuns(), petrel: collectRuns(), relay: collectRuns() };
      const measure: Record<keyof typeof paths, () => Promise<void>> = {
        direct: async () => paths.direct.add(await run(direct, concurrency, perRound)),
        petrel: async () => {
          const before = await costs(petrelUrl);
          const result = await run(throughPetrel, concurrency, perRound);
          // What answering runs off the hook's path (auto-cancel's bookkeeping) is done by now too.
          await settle();
          paths.petrel.add(result, perHook(before, await costs(petrelUrl), perRound));
        },
        relay: async () => {
          const before = await relayCpu();
          const result = await run(throughRelay, concurrency, perRound);
          await settle();
          paths.relay.add(result, { cpuMs: ((await relayCpu()) - before) / perRound });
        },
      };
      // The three take turns, each round in another order, so that a machine getting slower or
      // faster during the level weighs on all three alike.
      const order = Object.keys(measure) as (keyof typeof paths)[];
      for (let round = 0; round < rounds; round++) {
        for (const path of [...order.slice(round % 3), ...order.slice(0, round % 3)]) await measure[path]();
      }
      const [base, hook, bare] = [paths.direct.total(), paths.petrel.total(), paths.relay.total()];
      const per = paths.petrel.costs();
      const relayMs = paths.relay.costs().cpuMs;
      console.log(
        `c=${String(concurrency).padEnd(3)} direct p50 ${ms(base.p50)} p99 ${ms(base.p99)} ${base.rate.toFixed(0).padStart(4)}/s | ` +
          `petrel p50 ${ms(hook.p50)} p99 ${ms(hook.p99)} ${hook.rate.toFixed(0).padStart(4)}/s | ` +
          `p50 ×${(hook.p50 / base.p50).toFixed(2)}  throughput ×${(hook.rate / base.rate).toFixed(2)}`,
      );
      console.log(
        `      per hook: Nomad ${per.nomadRead.toFixed(2)} reads ${per.nomadWrite.toFixed(2)} writes, Consul ${per.consulRead.toFixed(2)} reads ${per.consulWrite.toFixed(2)} writes, Petrel CPU ${per.cpuMs.toFixed(2)} ms`,
      );
      console.log(
        `      bare relay p50 ${ms(bare.p50)} ${bare.rate.toFixed(0).padStart(4)}/s (p50 ×${(bare.p50 / base.p50).toFixed(2)}  throughput ×${(bare.rate / base.rate).toFixed(2)}), ` +
          `CPU ${relayMs.toFixed(2)} ms per hook | Petrel's CPU ×${(per.cpuMs / relayMs).toFixed(2)}`,
      );
    }
  } finally {
    relay.kill();
    await once(relay, "exit");
  }
});

/** One path's rounds at one level: latencies pooled, throughput over the time they took together, costs averaged. */
function collectRuns() {
  const runs: Run[] = [];
  const perHook: Partial<Costs>[] = [];
  return {
    add(run: Run, costs: Partial<Costs> = {}) {
      runs.push(run);
      perHook.push(costs);
    },
    total(): { p50: number; p99: number; rate: number } {
      const latencies = runs.flatMap((run) => run.latencies);
      const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
      return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rate: latencies.length / seconds };
    },
    costs(): Costs {
      const mean = (key: keyof Costs) => perHook.reduce((sum, costs) => sum + (costs[key] ?? NaN), 0) / perHook.length;
      return { nomadRead: mean("nomadRead"), nomadWrite: mean("nomadWrite"), consulRead: mean("consulRead"), consulWrite: mean("consulWrite"), cpuMs: mean("cpuMs") };
    },
  };
}

function ms(value: number): string {
  return `${value.toFixed(1).padStart(6)} ms`;
}
