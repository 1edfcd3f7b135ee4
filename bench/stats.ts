/** The value a fraction `q` of the way up the sorted samples (0.5: the median). */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);

/** What `runAtOnce` measured: each call's latency (ms) and the seconds they took together, besides their summary. */
export type Run = { p50: number; p99: number; rate: number; latencies: number[]; seconds: number };

/** The calls in order, `concurrency` of them in flight: latency percentiles (ms) and calls per second. */
export async function runAtOnce(calls: readonly (() => Promise<void>)[], concurrency: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < calls.length; n = next++) {
        const at = performance.now();
        await calls[n]!();
        latencies.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rate: calls.length / seconds, latencies, seconds };
}
