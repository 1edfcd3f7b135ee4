import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { Spool } from "./spool.js";

export type UploadOutcome = "uploaded" | "failed" | "dead" | "discarded";
export type UploadMetrics = ReturnType<typeof createUploadMetrics>;

/**
 * The uploader's Prometheus metrics: what waits in the spool and in the dead
 * letters (read from the spool at each scrape), and what became of each
 * derivation it tried.
 */
export function createUploadMetrics(spool: Spool) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "petrel_upload_" });
  new Gauge({
    name: "petrel_upload_queue_depth",
    help: "Derivations queued in the spool, waiting to be uploaded.",
    registers: [registry],
    collect() {
      this.set(spool.list().length);
    },
  });
  new Gauge({
    name: "petrel_upload_dead_letters",
    help: "Derivations set aside in the spool's .dead folder after too many failed uploads.",
    registers: [registry],
    collect() {
      this.set(spool.dead().length);
    },
  });
  const derivations = new Counter({
    name: "petrel_upload_derivations_total",
    help: "Derivations tried by this uploader, by outcome: uploaded, failed (an attempt that will be retried or set aside), dead (set aside), discarded (an untrusted build's, with no untrusted cache).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return { registry, count: (outcome: UploadOutcome) => derivations.inc({ outcome }) };
}

/** GET /metrics on host:port, for Prometheus; everything else is 404. */
export function serveUploadMetrics(metrics: UploadMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
