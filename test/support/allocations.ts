import type { Nomad } from "../../src/nomad/client.js";
import type { AllocationStub } from "../../src/nomad/types.js";

const finished = new Set(["complete", "failed", "lost"]);

/** Follows a job's allocations with blocking queries until one has finished. */
export async function finishedAllocation(nomad: Nomad, jobId: string, { timeoutMs = 90_000 } = {}): Promise<AllocationStub> {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  while (Date.now() < deadline) {
    const answer = await nomad.jobs.allocations(jobId, { index, wait: "5s" });
    const done = answer.value.find((alloc) => finished.has(alloc.ClientStatus));
    if (done) return done;
    index = answer.index;
  }
  throw new Error(`no allocation of ${jobId} finished within ${timeoutMs} ms`);
}

/** A finished task's whole log; the builder's executor unless another task is named. */
export async function readLog(nomad: Nomad, allocId: string, type: "stdout" | "stderr", task = "executor"): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await nomad.logs(allocId, { task, type })) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}
