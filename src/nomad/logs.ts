import type { Readable } from "node:stream";
import type { NomadHttp } from "./http.js";

export type LogOptions = {
  task: string;
  type: "stdout" | "stderr";
  /** Keep the stream open for new output. Nomad never ends a followed stream by itself. */
  follow?: boolean;
  /** Bytes to skip from the start of the log (across Nomad's rotated files). */
  offset?: number;
  signal?: AbortSignal;
};

/**
 * A task's log as a stream of raw bytes, straight from the client node that
 * holds it: a Node stream, so a caller can pipe it on without touching each chunk.
 */
export async function streamLogs(http: NomadHttp, allocId: string, options: LogOptions): Promise<Readable> {
  return http.stream(`/v1/client/fs/logs/${encodeURIComponent(allocId)}`, {
    query: {
      task: options.task,
      type: options.type,
      follow: options.follow ?? false,
      origin: "start",
      offset: options.offset ?? 0,
      plain: true,
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
