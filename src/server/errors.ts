import type { ErrorRequestHandler, RequestHandler } from "express";
import { ArchiveUnavailableError } from "../archive/object-store.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";

/** Unknown routes answer JSON like every other error. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
};

/**
 * The last word on failures: an unreachable Nomad, Consul or archive is 503 (retry
 * later), an upstream refusal 502, a malformed body 400, anything else 500.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof UpstreamUnavailableError || error instanceof ArchiveUnavailableError) {
    res.status(503).json({ error: error.message });
    return;
  }
  if (error instanceof UpstreamError) {
    res.status(502).json({ error: error.message });
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    res.status(status).json({ error: (error as Error).message });
    return;
  }
  req.log.error({ err: error }, "request failed");
  res.status(500).json({ error: "internal error" });
};
