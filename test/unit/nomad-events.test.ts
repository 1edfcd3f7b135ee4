import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { streamEvents, type NomadEvent } from "../../src/nomad/events.js";
import type { NomadHttp } from "../../src/nomad/http.js";

/** Nomad's event stream as `bytes` cut before each offset in `cuts`: what each read of the response would hold. */
function streamOf(bytes: Buffer, cuts: number[]): NomadHttp {
  const ends = [...cuts, bytes.length];
  const chunks = ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  return { stream: () => Promise.resolve(Readable.from(chunks, { objectMode: false })) } as unknown as NomadHttp;
}

async function read(http: NomadHttp): Promise<NomadEvent[]> {
  const events: NomadEvent[] = [];
  for await (const event of streamEvents(http, ["Job"], 1, new AbortController().signal)) events.push(event);
  return events;
}

const registered = (index: number, branch: string) =>
  JSON.stringify({ Index: index, Events: [{ Topic: "Job", Type: "JobRegistered", Key: `builder/dispatch-${index}`, Index: index, Payload: { Job: { ID: `builder/dispatch-${index}`, Meta: { BRANCH: branch } } } }] });

describe("Nomad's event stream", () => {
  const frames = Buffer.from(`{}\n${registered(7, "fix/über-straße")}\n{}\n${registered(8, "main")}\n${registered(9, "ブランチ")}\n`);
  const branches = (events: NomadEvent[]) => events.map((event) => (event.Payload.Job as { Meta: { BRANCH: string } }).Meta.BRANCH);

  it("answers every event in order, heartbeats dropped, whole frames in one read", async () => {
    const events = await read(streamOf(frames, []));
    expect(events.map((event) => event.Index)).toEqual([7, 8, 9]);
    expect(branches(events)).toEqual(["fix/über-straße", "main", "ブランチ"]);
  });

  it("keeps a character whole when a read ends inside it", async () => {
    // Every cut of the stream, each one inside a multi-byte character among them.
    for (let cut = 1; cut < frames.length; cut += 1) {
      const events = await read(streamOf(frames, [cut]));
      expect(branches(events), `cut at byte ${cut}`).toEqual(["fix/über-straße", "main", "ブランチ"]);
    }
  });

  it("reads a stream that comes a byte at a time", async () => {
    const events = await read(streamOf(frames, Array.from({ length: frames.length - 1 }, (_, i) => i + 1)));
    expect(branches(events)).toEqual(["fix/über-straße", "main", "ブランチ"]);
  });
});
