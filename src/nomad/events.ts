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
  // Decoded by the stream, which holds back a character a read ends inside of (a branch named in UTF-8).
  response.setEncoding("utf8");
  let partial = "";
  for await (const text of response as AsyncIterable<string>) {
    // Only the new text is searched for the end of a frame: a frame is a few KB, a read up to 64.
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      const frame = partial + text.slice(start, newline);
      partial = "";
      start = newline + 1;
      yield* eventsOf(frame);
    }
    partial += text.slice(start);
  }
}

function eventsOf(frame: string): NomadEvent[] {
  const line = frame.trim();
  if (line === "" || line === "{}") return [];
  return (JSON.parse(line) as { Events?: NomadEvent[] }).Events ?? [];
}
