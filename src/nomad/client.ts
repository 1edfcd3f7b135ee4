import type { Config } from "../config.js";
import { createNomadHttp } from "./http.js";
import { createJobs } from "./jobs.js";
import { streamEvents } from "./events.js";
import { streamLogs, type LogOptions } from "./logs.js";
import type { AllocationStub, NodeStub } from "./types.js";
import { createWorkloadIdentity } from "./workload-identity.js";

export type Nomad = ReturnType<typeof createNomad>;

/** A small typed Nomad client: one handle per resource, like Nomad's own `api` package. */
export function createNomad(config: Config["nomad"]) {
  const http = createNomadHttp(config);
  return {
    jobs: createJobs(http),
    nodes: () => http.json<NodeStub[]>("GET", "/v1/nodes", { query: { resources: false } }),
    node: (id: string) => http.json<NodeStub>("GET", `/v1/node/${encodeURIComponent(id)}`),
    leader: () => http.json<string>("GET", "/v1/status/leader"),
    allocation: (id: string) => http.json<AllocationStub>("GET", `/v1/allocation/${encodeURIComponent(id)}`),
    identity: createWorkloadIdentity(http),
    logs: (allocId: string, options: LogOptions) => streamLogs(http, allocId, options),
    events: (topics: string[], index: number, signal: AbortSignal) => streamEvents(http, topics, index, signal),
  };
}
