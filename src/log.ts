import { pino, type Logger, type DestinationStream } from "pino";
import type { LogLevel } from "./config.js";
import { forgeSecretHeaders } from "./forge/forges.js";

export type { Logger };

/** What a route or a task given one logs with: lines at three levels, each carrying what the logger is bound to. */
export type LineLogger = Pick<Logger, "error" | "warn" | "info">;

/**
 * Paths that may carry credentials: tokens and signatures in headers, the
 * forge's secrets inside repo configs, and anything a caller names `secret`.
 */
const redactedPaths = [
  "token",
  "secret",
  "*.token",
  "*.secret",
  "*.*.token",
  "*.*.secret",
  "inject",
  "*.inject",
  'req.headers.authorization',
  'req.headers["x-nomad-token"]',
  'req.headers["x-consul-token"]',
  'req.headers["private-token"]',
  ...forgeSecretHeaders.map((name) => `req.headers["${name}"]`),
  "req.query.token",
];

/**
 * A request URL fit for a log line: Albatros' `?token=` and the single-use
 * tokens in secrets URLs are capabilities, so neither is written down.
 */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, "$1[redacted]").replace(/^(\/secrets\/(?:[^/?#]+\/)?)[^/?#]+/, "$1[redacted]");
}

/**
 * JSON lines for machines; pretty lines when a person watches the terminal.
 * `destination` lets tests capture what would be written.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: redactedPaths, censor: "[redacted]" } };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) {
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(options);
}
