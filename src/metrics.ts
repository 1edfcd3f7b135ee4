import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { upstreamCalls } from "./upstream-calls.js";

export type Metrics = ReturnType<typeof createMetrics>;

/** Petrel's Prometheus metrics, in a registry of their own so tests and replicas don't share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "petrel_" });
  return {
    registry,
    hooks: new Counter({
      name: "petrel_hooks_total",
      help: "Webhooks received, by forge, event and outcome (dispatched, ignored, or the HTTP status of a refusal).",
      labelNames: ["forge", "event", "outcome"] as const,
      registers: [registry],
    }),
    dispatches: new Counter({
      name: "petrel_dispatches_total",
      help: "Builder children dispatched, by whether Nomad created a new one or answered an earlier delivery's.",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    statusPosts: new Counter({
      name: "petrel_status_posts_total",
      help: "Commit statuses sent to forges, by forge, state and result (posted or failed).",
      labelNames: ["forge", "state", "result"] as const,
      registers: [registry],
    }),
    archived: new Counter({
      name: "petrel_builds_archived_total",
      help: "Finished builds written to the archive, by result (archived, or failed: tried again at the next resync).",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    cancels: new Counter({
      name: "petrel_cancels_total",
      help: "Builds stopped, by reason (superseded, or asked for over HTTP).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    logStreams: new Gauge({
      name: "petrel_log_streams_open",
      help: "Build logs being sent right now through GET /build?log=…, followed or not.",
      registers: [registry],
    }),
    upstreamCalls: new Counter({
      name: "petrel_upstream_calls_total",
      help: "Calls this process made to Nomad and Consul, by upstream and kind (write: PUT, POST, DELETE; read: the rest).",
      labelNames: ["upstream", "kind"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [upstream, kinds] of Object.entries(upstreamCalls())) for (const [kind, count] of Object.entries(kinds)) this.inc({ upstream, kind }, count);
      },
    }),
    logUpstreams: new Gauge({
      name: "petrel_log_upstreams_open",
      help: "Followed Nomad log streams open: one per task and log type, however many follow it.",
      registers: [registry],
    }),
    hookLatency: new Histogram({
      name: "petrel_hook_dispatch_seconds",
      help: "Time from a hook's arrival to its builds being dispatched.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
