import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { deliveryIdOf } from "../forge/forges.js";
import { redactUrl, type Logger, type LineLogger } from "../log.js";

declare module "http" {
  interface IncomingMessage {
    /** This request's logger: each line names the request (`requestLog`). */
    log: LineLogger;
  }
}

/**
 * `req.log` for the routes, and one line per request once it is over, both
 * naming the request by its id — a forge's delivery id when it has one, so
 * one hook's lines go together — its method and its URL (without tokens).
 * The child logger behind `req.log` is made for the first line written at
 * an enabled level: pino serialises a child's bindings as it makes it,
 * whatever the level, and most requests write nothing at the level Petrel
 * runs at.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const { method, url } = req;
    let bindings: { reqId: string; req: { method: string; url: string } } | undefined;
    const bound = () => (bindings ??= { reqId: deliveryIdOf(req.headers) ?? randomUUID(), req: { method, url: redactUrl(url) } });
    let child: Logger | undefined;
    const lineAt = (level: keyof LineLogger) =>
      ((...line: Parameters<Logger["info"]>) => {
        if (logger.isLevelEnabled(level)) (child ??= logger.child(bound()))[level](...line);
      }) as Logger["info"];
    req.log = { error: lineAt("error"), warn: lineAt("warn"), info: lineAt("info") };
    // Below info, no request's line is written: no listener waits for its end.
    if (logger.isLevelEnabled("info")) {
      const started = performance.now();
      res.once("close", () => {
        const responseTime = Math.round(performance.now() - started);
        logger.info({ ...bound(), res: { statusCode: res.statusCode }, responseTime }, res.writableFinished ? "request completed" : "request aborted");
      });
    }
    next();
  };
}
