import type { NomadHttp } from "./http.js";

export type NomadEvent = { Topic: string; Type: string; Key: string; Index: number; Payload: Record<string, unknown> };

/**
 * Nomad's event stream from `index` on: one connection for every job and
 * allocation change, instead of one watcher per build. Heartbeats (`{}`) are
 * dropped; the stream ends only when Nomad closes it or `signal` aborts.
 */
export async function* streamEvents(http: NomadHttp, topics: string[], index: number, signal: AbortSignal): AsyncIterable<NomadEvent> {
  const query: Record<string, string | number> = { index };
  const response = await http.stream(`/v1/event/stream?${topics.map((topic) => `topic=${encodeURIComponent(topic)}`).join("&")}`, { query, signal });
  let buffered = "";
  for await (const chunk of response) {
    buffered += (chunk as Buffer).toString("utf8");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === "" || line === "{}") continue;
      const frame = JSON.parse(line) as { Events?: NomadEvent[] };
      for (const event of frame.Events ?? []) yield event;
    }
  }
}
