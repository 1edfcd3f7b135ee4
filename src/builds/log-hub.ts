import { PassThrough } from "node:stream";
import type { Nomad } from "../nomad/client.js";
import { keptLog } from "./kept-log.js";

/** What a follower may lag behind the shared stream before it is let go to catch up on its own. */
const maxBehindBytes = 1 << 20;

type Subscriber = { segment: PassThrough; skip: number; handed: (bytes: number) => void };
type Hub = { key: string; position: number; subscribers: Set<Subscriber>; stop: AbortController };

export type LogHubs = ReturnType<typeof createLogHubs>;

/**
 * One followed Nomad log stream per task and log type, whoever follows it:
 * every follower at the live end of the log gets the same chunks, and the
 * stream is closed when the last one leaves. A follower behind the shared
 * stream reads up to the log's end itself first (`join` answers undefined);
 * one that stops reading is let go once 1 MB behind (its segment ends, and it
 * catches up the same way), so nobody holds the stream or Petrel's memory.
 */
export function createLogHubs(nomad: Nomad, onUpstreams: (open: number) => void = () => {}) {
  const hubs = new Map<string, Hub>();

  /** Stops a hub's upstream stream and forgets the hub. */
  function retire(hub: Hub) {
    hub.stop.abort();
    if (hubs.get(hub.key) === hub) hubs.delete(hub.key);
    onUpstreams(hubs.size);
  }

  function open(key: string, allocId: string, task: string, type: "stdout" | "stderr", offset: number): Hub {
    const hub: Hub = { key, position: offset, subscribers: new Set(), stop: new AbortController() };
    hubs.set(key, hub);
    onUpstreams(hubs.size);
    // An upstream that fails on its own cuts its followers' streams; one stopped here just ends them.
    const close = (error?: Error) => {
      const failure = hub.stop.signal.aborted ? undefined : error;
      retire(hub);
      for (const { segment } of hub.subscribers) {
        if (failure) segment.destroy(failure);
        else segment.end();
      }
      hub.subscribers.clear();
    };
    keptLog(nomad, allocId, { task, type, follow: true, offset, signal: hub.stop.signal }).then(
      (body) => {
        // A task whose log Nomad keeps none of writes nothing to follow: its followers wait for its end, which ends them.
        if (body === undefined) return;
        body.on("data", (chunk: Buffer) => {
          hub.position += chunk.length;
          for (const subscriber of hub.subscribers) deliver(hub, subscriber, chunk);
        });
        body.on("error", (error: Error) => close(error));
        body.on("end", () => close());
      },
      (error: Error) => close(error),
    );
    return hub;
  }

  function deliver(hub: Hub, subscriber: Subscriber, chunk: Buffer) {
    let data = chunk;
    if (subscriber.skip > 0) {
      const skipped = Math.min(subscriber.skip, data.length);
      subscriber.skip -= skipped;
      data = data.subarray(skipped);
      if (data.length === 0) return;
    }
    subscriber.segment.write(data);
    subscriber.handed(data.length);
    if (subscriber.segment.writableLength > maxBehindBytes) leave(hub, subscriber);
  }

  function leave(hub: Hub, subscriber: Subscriber) {
    if (!hub.subscribers.delete(subscriber)) return;
    subscriber.segment.end();
    if (hub.subscribers.size === 0) retire(hub);
  }

  return {
    /**
     * The live log from byte `offset` on, as a stream that ends when `leave`
     * is called (the task ended, the follower went) or the follower falls
     * too far behind; undefined when the shared stream is already past
     * `offset`, so the follower reads up to the log's end first. `handed`
     * hears of every byte put in the segment.
     */
    join(allocId: string, task: string, type: "stdout" | "stderr", offset: number, handed: (bytes: number) => void): { segment: PassThrough; leave: () => void } | undefined {
      const key = `${allocId}/${task}/${type}`;
      const hub = hubs.get(key) ?? open(key, allocId, task, type, offset);
      if (offset < hub.position) return undefined;
      const subscriber = { segment: new PassThrough(), skip: offset - hub.position, handed };
      hub.subscribers.add(subscriber);
      return { segment: subscriber.segment, leave: () => leave(hub, subscriber) };
    },
  };
}
