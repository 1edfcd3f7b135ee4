import type { AllocationStub, JobSummary, TaskState } from "../nomad/types.js";
import type { StatusState } from "../forge/forge.js";
import { execExitCodes } from "../executor/exec-failure.js";
import { exitCodeOf, latestAllocation } from "./allocation.js";

/** A build's state is what its commit status says. */
export type BuildStateName = StatusState;
export type BuildState = { state: BuildStateName; description: string };

/** Later states outrank earlier ones: a report never goes back from final to running. */
export const stateRank: Record<BuildStateName, number> = { pending: 0, running: 1, success: 2, failure: 2, error: 2, canceled: 2 };
export const isFinal = (state: BuildStateName) => stateRank[state] === 2;

/**
 * A build's state as its forge should see it, derived from Nomad alone: the
 * child job and its newest allocation. A task's own non-zero exit is a
 * failure; a build that never got to run its script is an error of the
 * infrastructure; a stopped job is canceled.
 */
export function toBuildState(job: Pick<JobSummary, "Status" | "Stop">, allocations: AllocationStub[], task = "executor"): BuildState {
  const alloc = latestAllocation(allocations);
  if (job.Stop) return { state: "canceled", description: "canceled" };
  if (!alloc) return job.Status === "dead" ? { state: "error", description: "infrastructure error: the build was never placed" } : { state: "pending", description: "waiting for a node" };
  const taskState = alloc.TaskStates?.[task];
  switch (alloc.ClientStatus) {
    case "pending":
      return { state: "pending", description: "starting" };
    case "running":
      return { state: "running", description: "running" };
    case "complete":
      return { state: "success", description: "exit code 0" };
    case "failed": {
      // The builder's checkout task failed, so the script never ran: the commit could not be had
      // (Nomad stopped the executor, which waited for it).
      const checkoutCode = ownFailure(alloc.TaskStates?.checkout);
      if (checkoutCode !== undefined) return { state: "error", description: `checkout failed: exit code ${checkoutCode}` };
      const exitCode = ownFailure(taskState);
      if (exitCode !== undefined) return (task === "executor" && executorEnd(exitCode, taskState)) || { state: "failure", description: `exit code ${exitCode}` };
      return { state: "error", description: `infrastructure error: ${lastMessage(taskState) ?? "the task failed to run"}` };
    }
    default:
      return { state: "error", description: `infrastructure error: allocation ${alloc.ClientStatus}` };
  }
}

/**
 * What `petrel exec` says with its own exit codes (executor/exec-failure.ts):
 * why the script never ran, which is the node's or the repository's setup and
 * not the script's verdict, or that the script ran out of time.
 */
function executorEnd(exitCode: number, task: TaskState | undefined): BuildState | undefined {
  switch (exitCode) {
    case execExitCodes.usage:
      return { state: "error", description: "infrastructure error: the builder's environment is invalid" };
    case execExitCodes.noScript:
      return { state: "error", description: "error: the commit has no executable .albatros" };
    case execExitCodes.checkout:
      return { state: "error", description: "infrastructure error: checkout failed" };
    case execExitCodes.secrets:
      return { state: "error", description: "infrastructure error: the secrets URL was refused or unreachable" };
    case execExitCodes.timeout: {
      const ran = task?.StartedAt && task.FinishedAt ? Math.round((Date.parse(task.FinishedAt) - Date.parse(task.StartedAt)) / 1000) : undefined;
      return { state: "failure", description: ran === undefined ? "timed out" : `timed out after ${ran} s` };
    }
    default:
      return undefined;
  }
}

/**
 * A task's non-zero exit code when the task failed by itself: the builder's
 * tasks run at once, and the first to fail has Nomad stop the other, whose
 * exit then says nothing of the build.
 */
function ownFailure(task: TaskState | undefined): number | undefined {
  if (task?.Events?.some((event) => event.Type === "Sibling Task Failed")) return undefined;
  const exitCode = exitCodeOf(task);
  return exitCode === 0 ? undefined : exitCode;
}

function lastMessage(task: TaskState | undefined): string | undefined {
  const events = task?.Events ?? [];
  return [...events].reverse().find((event) => event.DisplayMessage)?.DisplayMessage;
}
