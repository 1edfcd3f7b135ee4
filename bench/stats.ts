/** The value a fraction `q` of the way up the sorted samples (0.5: the median). */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);
