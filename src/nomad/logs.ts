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

/** A task's log as raw bytes, straight from the client node that holds it. */
export async function* streamLogs(http: NomadHttp, allocId: string, options: LogOptions): AsyncIterable<Uint8Array> {
  const response = await http.stream("GET", `/v1/client/fs/logs/${encodeURIComponent(allocId)}`, {
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
  if (response.body === null) return;
  for await (const chunk of response.body) yield chunk as Uint8Array;
}
