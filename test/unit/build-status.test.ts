import { describe, expect, it } from "vitest";
import { toBuildState, toBuildStatus } from "../../src/build/build-status.js";
import { formatAge } from "../../src/build/format.js";
import type { AllocationStub, TaskState } from "../../src/nomad/types.js";

const task = (state: TaskState["State"], events: string[] = [], exitCode?: number): TaskState => ({
  State: state,
  Failed: false,
  Events: events.map((Type) => (Type === "Terminated" && exitCode !== undefined ? { Type, ExitCode: exitCode } : { Type })),
});
const alloc = (ClientStatus: AllocationStub["ClientStatus"], DesiredStatus: AllocationStub["DesiredStatus"] = "run"): AllocationStub => ({
  ID: "a",
  JobID: "builder/dispatch-1-00000000",
  ClientStatus,
  DesiredStatus,
  TaskStates: null,
  CreateIndex: 1,
});

describe("a build's state from Nomad's job and allocation", () => {
  it.each([
    ["no allocation yet", { Status: "pending" }, undefined, undefined, "pending"],
    ["stopped before placement", { Status: "dead", Stop: true }, undefined, undefined, "canceled"],
    ["running", { Status: "running" }, alloc("running"), task("running"), "running"],
    ["exited 0", { Status: "dead" }, alloc("complete"), task("dead", ["Terminated"], 0), "success"],
    ["exited 3", { Status: "dead" }, alloc("failed"), task("dead", ["Terminated"], 3), "failure"],
    ["stopped while running", { Status: "dead", Stop: true }, alloc("complete", "stop"), task("dead", ["Killing", "Terminated", "Killed"], 137), "canceled"],
    ["node lost", { Status: "dead" }, alloc("lost"), task("dead"), "lost"],
  ] as const)("%s", (_name, job, allocation, taskState, expected) => {
    expect(toBuildState(job, allocation, taskState)).toBe(expected);
  });

  it("never shows the secrets URL, and reads Go's zero time as not yet", () => {
    const status = toBuildStatus({
      job: { ID: "b/dispatch-1-00000000", ParentID: "b", Status: "pending", Meta: { REPO_URL: "r", COMMIT: "c", SECRETS_URL: "http://x/secrets/t" }, ParameterizedJob: null },
      allocations: [{ ...alloc("pending"), TaskStates: { executor: { ...task("pending"), StartedAt: "0001-01-01T00:00:00Z" } } }],
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
