/**
 * Every call Petrel makes to Nomad and Consul, counted where each client
 * sends it: writes (PUT, POST, DELETE) apart from reads. One tally per process, like the
 * process's own CPU time beside it in the metrics, so a benchmark can say
 * what one hook costs the cluster.
 */
export type Upstream = "nomad" | "consul";
const tally: Record<Upstream, { read: number; write: number }> = { nomad: { read: 0, write: 0 }, consul: { read: 0, write: 0 } };

const writes = new Set(["PUT", "POST", "DELETE", "PATCH"]);

export function countCall(upstream: Upstream, method: string): void {
  tally[upstream][writes.has(method.toUpperCase()) ? "write" : "read"] += 1;
}

export const upstreamCalls = (): Readonly<typeof tally> => tally;
