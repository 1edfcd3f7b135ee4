import { describe, expect, it } from "vitest";
import { toBuildStatus } from "../../src/builds/build-status.js";
import { formatAge } from "../../src/builds/format.js";
import { toBuildState } from "../../src/builds/build-state.js";
import type { AllocationStub, TaskState } from "../../src/nomad/types.js";

const pendingTask: TaskState = { State: "pending", Failed: false, Events: [], StartedAt: "0001-01-01T00:00:00Z" };
const pendingAlloc: AllocationStub = { ID: "a", JobID: "b/dispatch-1-00000000", ClientStatus: "pending", TaskStates: { executor: pendingTask }, CreateIndex: 1 };

describe("a build's status for its page and petrel status", () => {
  it("never shows the secrets URL, and reads Go's zero time as not yet", () => {
    const status = toBuildStatus({
      job: { ID: "b/dispatch-1-00000000", ParentID: "b", Status: "pending", Meta: { REPO_URL: "r", COMMIT: "c", SECRETS_URL: "http://x/secrets/t" }, ParameterizedJob: null },
      allocations: [pendingAlloc],
    });
    expect(status.meta).toEqual({ REPO_URL: "r", COMMIT: "c" });
    expect([status.startedAt, status.durationSeconds, status.finished]).toEqual([null, null, false]);
  });
});

describe("ages in petrel status", () => {
  it.each([[0, "0s"], [59_000, "59s"], [61_000, "1m"], [7_200_000, "2h"], [3 * 86_400_000, "3d"]])("%i ms → %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe("a build whose checkout task failed", () => {
  it("is an error naming the checkout and its exit code, since the script never ran", () => {
    const terminated = (code: number): TaskState => ({ State: "dead", Failed: true, StartedAt: "2026-01-01T00:00:00Z", Events: [{ Type: "Terminated", ExitCode: code }] });
    const notStarted: TaskState = { State: "dead", Failed: true, StartedAt: "0001-01-01T00:00:00Z", Events: [{ Type: "Sibling Task Failed", DisplayMessage: "Task's sibling \"checkout\" failed" }] };
    const alloc: AllocationStub = { ...pendingAlloc, ClientStatus: "failed", TaskStates: { checkout: terminated(75), executor: notStarted } };
    expect(toBuildState({ Status: "dead" }, [alloc])).toEqual({ state: "error", description: "checkout failed: exit code 75" });
    // The executor, started alongside, was waiting for the checkout when Nomad stopped it.
    const stopped: TaskState = { State: "dead", Failed: true, StartedAt: "2026-01-01T00:00:00Z", Events: [{ Type: "Sibling Task Failed" }, { Type: "Terminated", ExitCode: 130 }] };
    expect(toBuildState({ Status: "dead" }, [{ ...alloc, TaskStates: { checkout: terminated(75), executor: stopped } }])).toEqual({ state: "error", description: "checkout failed: exit code 75" });
    // A failing executor stops a checkout still fetching: the verdict is the executor's.
    expect(toBuildState({ Status: "dead" }, [{ ...alloc, TaskStates: { checkout: stopped, executor: terminated(77) } }])).toEqual({ state: "error", description: "infrastructure error: the secrets URL was refused or unreachable" });
    // The script's own failure still speaks for the build.
    expect(toBuildState({ Status: "dead" }, [{ ...alloc, TaskStates: { checkout: terminated(0), executor: terminated(3) } }])).toEqual({ state: "failure", description: "exit code 3" });
  });
});

describe("a build whose executor ended with one of petrel exec's own codes", () => {
  const ended = (code: number): AllocationStub => ({
    ...pendingAlloc,
    ClientStatus: "failed",
    TaskStates: { executor: { State: "dead", Failed: true, StartedAt: "2026-01-01T00:00:00Z", FinishedAt: "2026-01-01T00:10:12Z", Events: [{ Type: "Terminated", ExitCode: code }] } },
  });
  it.each([
    [64, "error", "infrastructure error: the builder's environment is invalid"],
    [66, "error", "error: the commit has no executable .albatros"],
    [75, "error", "infrastructure error: checkout failed"],
    [77, "error", "infrastructure error: the secrets URL was refused or unreachable"],
    [124, "failure", "timed out after 612 s"],
    [78, "failure", "exit code 78"],
  ])("%i is %s: %s", (code, state, description) => {
    expect(toBuildState({ Status: "dead" }, [ended(code)])).toEqual({ state, description });
  });

  it("reads another task's exit codes as its own verdict", () => {
    const alloc = ended(77);
    expect(toBuildState({ Status: "dead" }, [{ ...alloc, TaskStates: { pdu: alloc.TaskStates!.executor! } }], "pdu")).toEqual({ state: "failure", description: "exit code 77" });
  });
});
