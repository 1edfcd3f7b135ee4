import type { AllocationStub, TaskState } from "../nomad/types.js";

/** The allocation that speaks for the build: the newest one Nomad made for it. */
export function latestAllocation(allocations: AllocationStub[]): AllocationStub | undefined {
  return allocations.reduce<AllocationStub | undefined>(
    (latest, alloc) => (latest === undefined || alloc.CreateIndex > latest.CreateIndex ? alloc : latest),
    undefined,
  );
}

/**
 * The task whose log is the build's: the one asked for, else the builder
 * contract's `executor`, else the only task of a job that has one (gateway jobs).
 */
export function resolveTask(alloc: AllocationStub | undefined, requested: string | undefined): string {
  if (requested !== undefined) return requested;
  const names = Object.keys(alloc?.TaskStates ?? {});
  if (names.length === 1 && names[0] !== "executor") return names[0]!;
  return "executor";
}

/** The exit code of a task's last run, from its Terminated event. */
export function exitCodeOf(task: TaskState | undefined): number | undefined {
  return (task?.Events ?? []).filter((event) => event.Type === "Terminated").at(-1)?.ExitCode;
}
