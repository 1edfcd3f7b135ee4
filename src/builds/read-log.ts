import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Nomad } from "../nomad/client.js";
import type { TaskState } from "../nomad/types.js";
import { UpstreamError } from "../upstream-error.js";
import { latestAllocation, resolveTask } from "./allocation.js";
import { createLogHubs, type LogHubs } from "./log-hub.js";
import { keptLog } from "./kept-log.js";
import { createTaskEnd, isOver, type TaskEnd } from "./task-end.js";

export type ReadLogOptions = {
  type: "stdout" | "stderr";
  task?: string;
  /** Keep reading until the task ends: waits for an allocation, then for the task to start. */
  follow?: boolean;
  /** Bytes of the build's current allocation's log the reader has already. */
  offset?: number;
  signal?: AbortSignal;
};

export type BuildLogs = ReturnType<typeof createBuildLogs>;

/**
 * Builds' logs, as a sequence of byte streams to send on one after the other.
 * Nomad's own followed stream never ends (nomad#18369), so while following, a
 * blocking query watches the allocation; when the task is over the followed
 * stream is ended and whatever it had not delivered yet is read from the byte
 * offset reached, without follow, which does end. Streams, not chunks, so the
 * bytes go from Nomad's socket to the client's without a hop per chunk.
 */
export function createBuildLogs(nomad: Nomad, onUpstreams?: (open: number) => void) {
  const taskEnd = createTaskEnd(nomad);
  const hubs = createLogHubs(nomad, onUpstreams);
  return { read: (jobId: string, options: ReadLogOptions) => readBuildLog(nomad, { taskEnd, hubs }, jobId, options) };
}

/** Sends a build's log to `destination`, leaving it open; `onBytes` hears of every chunk sent. */
export async function sendBuildLog(segments: AsyncIterable<Readable>, destination: Writable, signal?: AbortSignal, onBytes?: () => void): Promise<void> {
  for await (const segment of segments) {
    if (onBytes) segment.on("data", onBytes);
    await pipeline(segment, destination, { end: false, ...(signal === undefined ? {} : { signal }) });
  }
}

async function* readBuildLog(nomad: Nomad, { taskEnd, hubs }: { taskEnd: TaskEnd; hubs: LogHubs }, jobId: string, options: ReadLogOptions): AsyncIterable<Readable> {
  const { type, follow = false, signal } = options;
  let offset = 0;
  let index = 0;
  let reading: string | undefined;
  // The offset given is into the allocation that speaks for the build now; a later one starts at 0.
  let given: number | undefined = options.offset ?? 0;
  for (;;) {
    const answer = await nomad.jobs.allocations(jobId, { index, wait: "5m" }, signal);
    index = answer.index;
    const alloc = latestAllocation(answer.value);
    if (alloc === undefined) {
      if (!follow) return;
      const job = await nomad.jobs.read(jobId, {}, signal);
      if (job.value.Stop === true || job.value.Status === "dead") return;
      // A pending job's allocations don't change when it is stopped: wait on the job itself, then look again.
      if (job.value.Status === "pending") {
        await nomad.jobs.read(jobId, { index: job.index, wait: "5m" }, signal);
        index = 0;
      }
      continue;
    }
    // A replacement allocation (a lost node's build placed again) has a log of its own, from its start.
    if (alloc.ID !== reading) [reading, offset, given] = [alloc.ID, given ?? 0, undefined];
    const task = resolveTask(alloc, options.task);
    const state = alloc.TaskStates?.[task];
    if (!follow || isOver(alloc, task)) {
      const rest = await readRest(nomad, alloc.ID, { task, type, offset, started: hasStarted(state) }, signal);
      if (rest !== undefined) yield rest;
      return;
    }
    if (!hasStarted(state)) continue;

    const joined = hubs.join(alloc.ID, task, type, offset, (bytes) => (offset += bytes));
    if (joined === undefined) {
      // Behind the task's shared stream: read up to the log's end alone, then join it.
      const rest = await readRest(nomad, alloc.ID, { task, type, offset, started: true }, signal);
      if (rest !== undefined) {
        // Counted as it is piped on, in one go, so no byte flows uncounted or unsent.
        const segment = new PassThrough();
        rest.on("data", (chunk: Buffer) => (offset += chunk.length));
        rest.on("error", (error) => segment.destroy(error));
        rest.pipe(segment);
        yield segment;
      }
      signal?.throwIfAborted();
      index = 0;
      continue;
    }
    const cut = new AbortController();
    const onAbort = () => cut.abort();
    signal?.addEventListener("abort", onAbort);
    // Leaving ends the segment, whose every byte is then sent: `offset` counts what it was handed.
    cut.signal.addEventListener("abort", joined.leave);
    try {
      void taskEnd(jobId, alloc.ID, task, cut.signal).then(() => cut.abort());
      yield joined.segment;
    } finally {
      cut.abort();
      signal?.removeEventListener("abort", onAbort);
    }
    signal?.throwIfAborted();
    index = 0;
  }
}

/** The log from `offset` to its current end; nothing for a task that never started. */
async function readRest(
  nomad: Nomad,
  allocId: string,
  { task, type, offset, started }: { task: string; type: "stdout" | "stderr"; offset: number; started: boolean },
  signal: AbortSignal | undefined,
): Promise<Readable | undefined> {
  try {
    return await keptLog(nomad, allocId, { task, type, offset, ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    // A task that never started has no log, whatever else Nomad answers for it (keptLog takes its 404).
    if (started || !(error instanceof UpstreamError)) throw error;
    return undefined;
  }
}

function hasStarted(state: TaskState | undefined): boolean {
  if (state === undefined) return false;
  return state.State !== "pending" || Boolean(state.StartedAt && !state.StartedAt.startsWith("0001-"));
}
