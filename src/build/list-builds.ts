import type { Nomad } from "../nomad/client.js";
import type { JobListStub } from "../nomad/types.js";
import type { BuildState } from "./build-status.js";

export type BuildSummary = {
  job: string;
  builder: string;
  repo: string;
  /** `#<n>` for a pull request, else the branch. */
  ref: string;
  commit: string;
  flavor: string;
  state: BuildState;
  submittedAt: number;
};

export type BuildFilter = { repo?: string; branch?: string; limit?: number };

/**
 * Recent builds of every builder, newest first, from one job listing: every
 * dispatched child carries its build's meta, so no extra request per build.
 */
export async function listBuilds(nomad: Nomad, { repo, branch, limit = 20 }: BuildFilter = {}): Promise<BuildSummary[]> {
  const { value: children } = await nomad.jobs.children();
  return children
    .filter((stub) => stub.Meta?.REPO_URL && stub.Meta.COMMIT)
    .map(toBuildSummary)
    .filter((build) => (repo === undefined || build.repo === repo) && (branch === undefined || build.ref === branch || build.ref === `#${branch.replace(/^#/, "")}`))
    .sort((a, b) => b.submittedAt - a.submittedAt)
    .slice(0, limit);
}

function toBuildSummary(stub: JobListStub): BuildSummary {
  const meta = stub.Meta ?? {};
  return {
    job: stub.ID,
    builder: stub.ParentID,
    repo: meta.REPO_URL ?? "",
    ref: meta.PR ? `#${meta.PR}` : (meta.BRANCH ?? ""),
    commit: meta.COMMIT ?? "",
    flavor: meta.FLAVOR ?? "",
    state: stateFromCounts(stub),
    submittedAt: Math.floor(stub.SubmitTime / 1e6),
  };
}

/** The job summary's allocation counts say enough for a listing; `petrel status JOB` reads the allocation itself. */
function stateFromCounts(stub: JobListStub): BuildState {
  const groups = Object.values(stub.JobSummary?.Summary ?? {});
  const count = (key: "Running" | "Starting" | "Failed" | "Lost" | "Complete") => groups.reduce((sum, group) => sum + group[key], 0);
  if (count("Running") + count("Starting") > 0) return "running";
  if (stub.Stop === true) return "canceled";
  if (count("Failed") > 0) return "failure";
  if (count("Lost") > 0) return "lost";
  if (count("Complete") > 0) return "success";
  return stub.Status === "dead" ? "canceled" : "pending";
}
