/**
 * Hook → dispatched child through Petrel, against the same dispatch sent
 * straight to Nomad, in one run on one cluster. The node is made ineligible
 * first, so children stay pending and don't take the CPU from the dispatch
 * path being measured.
 *
 *   npm run bench:hook        (BENCH_REQUESTS per level, default 300)
 */
import { giteaPush } from "../test/support/payloads.js";
import { withHookBench } from "./hook-bench.js";
import { runAtOnce } from "./stats.js";

const requests = Number(process.env.BENCH_REQUESTS ?? 300);
const levels = [1, 10, 50];

await withHookBench(async ({ petrel, cloneUrl, commit, direct, hook }) => {
  const petrelUrl = petrel.url;
  const throughPetrel = async () => {
    // A branch per push, as from many developers: auto-cancel looks, but finds nothing to stop.
    const after = commit();
    await hook(JSON.stringify(giteaPush({ cloneUrl, after, ref: `refs/heads/topic-${after.slice(-6)}` })));
  };

  // Warm both paths (connections, JIT, Consul's key cache) before measuring.
  const run = (call: () => Promise<void>, concurrency: number, count: number) => runAtOnce(Array.from({ length: count }, () => call), concurrency);
  await run(direct, 10, 50);
  await run(throughPetrel, 10, 50);
  console.log(`hook → dispatched child vs direct Nomad dispatch, ${requests} requests per level, node ineligible`);
  for (const concurrency of levels) {
    const base = await run(direct, concurrency, requests);
    const before = await costs(petrelUrl);
    const hook = await run(throughPetrel, concurrency, requests);
    // What answering runs off the hook's path (auto-cancel's bookkeeping) is done by now too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const per = perHook(before, await costs(petrelUrl), requests);
    console.log(
      `c=${String(concurrency).padEnd(3)} direct p50 ${ms(base.p50)} p99 ${ms(base.p99)} ${base.rate.toFixed(0).padStart(4)}/s | ` +
        `petrel p50 ${ms(hook.p50)} p99 ${ms(hook.p99)} ${hook.rate.toFixed(0).padStart(4)}/s | ` +
        `p50 ×${(hook.p50 / base.p50).toFixed(2)}  throughput ×${(hook.rate / base.rate).toFixed(2)}`,
    );
    console.log(
      `      per hook: Nomad ${per.nomadRead.toFixed(2)} reads ${per.nomadWrite.toFixed(2)} writes, Consul ${per.consulRead.toFixed(2)} reads ${per.consulWrite.toFixed(2)} writes, Petrel CPU ${per.cpuMs.toFixed(2)} ms`,
    );
  }
});

type Costs = { nomadRead: number; nomadWrite: number; consulRead: number; consulWrite: number; cpuMs: number };

/** Petrel's upstream calls and CPU time so far, from its metrics. */
async function costs(petrelUrl: string): Promise<Costs> {
  const text = await (await fetch(`${petrelUrl}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  const calls = (upstream: string, kind: string) => value(new RegExp(`^petrel_upstream_calls_total\\{upstream="${upstream}",kind="${kind}"\\} (\\S+)$`, "m"));
  return {
    nomadRead: calls("nomad", "read"),
    nomadWrite: calls("nomad", "write"),
    consulRead: calls("consul", "read"),
    consulWrite: calls("consul", "write"),
    cpuMs: value(/^petrel_process_cpu_seconds_total (\S+)$/m) * 1000,
  };
}

/** Each cost per hook between two readings; the readings' own /metrics requests are a few of hundreds. */
function perHook(before: Costs, after: Costs, hooks: number): Costs {
  const per = (key: keyof Costs) => (after[key] - before[key]) / hooks;
  return { nomadRead: per("nomadRead"), nomadWrite: per("nomadWrite"), consulRead: per("consulRead"), consulWrite: per("consulWrite"), cpuMs: per("cpuMs") };
}

function ms(value: number): string {
  return `${value.toFixed(1).padStart(6)} ms`;
}
