import type { AllocationStub, JobSummary, TaskState } from "../nomad/types.js";
import { exitCodeOf, latestAllocation, resolveTask } from "./allocation.js";
import { isFinal, toBuildState, type BuildStateName } from "./build-state.js";
import type { LoadedBuild } from "./load-build.js";

export type TaskView = { state: TaskState["State"]; failed: boolean; exitCode: number | null; startedAt: string | null; finishedAt: string | null };

export type BuildStatus = {
  job: string;
  builder: string;
  /** The same state and description the build's commit status gets. */
  state: BuildStateName;
  description: string;
  /** True once nothing about the build will change any more. */
  finished: boolean;
  jobStatus: JobSummary["Status"];
  task: string;
  exitCode: number | null;
  allocation: { id: string; clientStatus: AllocationStub["ClientStatus"]; desiredStatus: string | null; node: string | null } | null;
  tasks: Record<string, TaskView>;
  submittedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  meta: Record<string, string>;
  /** When the archive took the build: only in answers from the archive, once Nomad has forgotten it. */
  archivedAt?: string;
};

/** Meta keys that are capabilities, not descriptions: never shown. */
const hiddenMeta = new Set(["SECRETS_URL"]);

/** What a person (or the page, or `petrel status`) needs to know about one build, derived from Nomad alone. */
export function toBuildStatus({ job, allocations }: LoadedBuild, requestedTask?: string, now = Date.now()): BuildStatus {
  const alloc = latestAllocation(allocations);
  const task = resolveTask(alloc, requestedTask);
  const tasks = Object.fromEntries(Object.entries(alloc?.TaskStates ?? {}).map(([name, state]) => [name, toTaskView(state)]));
  const main = tasks[task];
  const { state, description } = toBuildState(job, allocations, task);
  const startedAt = main?.startedAt ?? null;
  const finishedAt = main?.finishedAt ?? null;
  const end = finishedAt === null ? now : Date.parse(finishedAt);
  return {
    job: job.ID,
    builder: job.ParentID ?? "",
    state,
    description,
    finished: isFinal(state),
    jobStatus: job.Status,
    task,
    exitCode: main?.exitCode ?? null,
    allocation: alloc
      ? { id: alloc.ID, clientStatus: alloc.ClientStatus, desiredStatus: alloc.DesiredStatus ?? null, node: alloc.NodeName ?? null }
      : null,
    tasks,
    submittedAt: job.SubmitTime ? new Date(job.SubmitTime / 1e6).toISOString() : null,
    startedAt,
    finishedAt,
    durationSeconds: startedAt === null ? null : Math.max(0, Math.round((end - Date.parse(startedAt)) / 100) / 10),
    meta: Object.fromEntries(Object.entries(job.Meta ?? {}).filter(([key]) => !hiddenMeta.has(key))),
  };
}

function toTaskView(state: TaskState): TaskView {
  return {
    state: state.State,
    failed: state.Failed,
    exitCode: exitCodeOf(state) ?? null,
    startedAt: toTime(state.StartedAt),
    finishedAt: state.State === "dead" ? toTime(state.FinishedAt) : null,
  };
}

/** Nomad writes Go's zero time for "not yet". */
function toTime(value: string | null | undefined): string | null {
  if (!value || value.startsWith("0001-")) return null;
  return new Date(value).toISOString();
}
