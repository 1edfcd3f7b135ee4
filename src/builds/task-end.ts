import type { Nomad } from "../nomad/client.js";
import type { AllocationStub } from "../nomad/types.js";

const terminal = new Set<AllocationStub["ClientStatus"]>(["complete", "failed", "lost"]);

export function isOver(alloc: AllocationStub, task: string): boolean {
  return terminal.has(alloc.ClientStatus) || alloc.TaskStates?.[task]?.State === "dead";
}

export type TaskEnd = (jobId: string, allocId: string, task: string, signal: AbortSignal) => Promise<void>;

/**
 * Resolves when a task is dead, its allocation terminal or gone. Everyone
 * following one task (a page's stdout and stderr, several viewers) shares a
 * single blocking query, which stops when the last of them leaves: Nomad
 * counts every open connection against a client's limit.
 */
export function createTaskEnd(nomad: Nomad): TaskEnd {
  const watches = new Map<string, { ended: Promise<void>; stop: AbortController; users: number }>();

  async function watch(jobId: string, allocId: string, task: string, signal: AbortSignal): Promise<void> {
    for (let index = 0; ; ) {
      const answer = await nomad.jobs.allocations(jobId, { index, wait: "5m" }, signal);
      index = answer.index;
      const alloc = answer.value.find((candidate) => candidate.ID === allocId);
      if (alloc === undefined || isOver(alloc, task)) return;
    }
  }

  return (jobId, allocId, task, signal) => {
    const key = `${allocId}/${task}`;
    let shared = watches.get(key);
    if (shared === undefined) {
      const stop = new AbortController();
      const entry = { ended: watch(jobId, allocId, task, stop.signal), stop, users: 0 };
      const forget = () => {
        if (watches.get(key) === entry) watches.delete(key);
      };
      entry.ended.then(forget, forget);
      watches.set(key, entry);
      shared = entry;
    }
    const mine = shared;
    mine.users += 1;
    // Errors end the wait too: the follower then looks at the allocation itself and meets the error there.
    return new Promise<void>((resolve) => {
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        signal.removeEventListener("abort", leave);
        mine.users -= 1;
        if (mine.users === 0) mine.stop.abort();
        resolve();
      };
      signal.addEventListener("abort", leave);
      mine.ended.then(leave, leave);
    });
  };
}
