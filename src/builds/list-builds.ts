import type { Nomad } from "../nomad/client.js";
import type { JobListStub } from "../nomad/types.js";
import { toBuildState, type BuildStateName } from "./build-state.js";

export type BuildSummary = {
  job: string;
  builder: string;
  repo: string;
  /** `#<n>` for a pull request, else the branch. */
  ref: string;
  commit: string;
  flavor: string;
  state: BuildStateName;
  submittedAt: number;
};

export type BuildFilter = { repo?: string; branch?: string; limit?: number };

/**
 * Recent builds of every builder, newest first: one job listing (every
 * dispatched child carries its build's meta) to choose them, then each one's
 * allocations, so each shows the state its page and commit status show.
 */
export async function listBuilds(nomad: Nomad, { repo, branch, limit = 20 }: BuildFilter = {}): Promise<BuildSummary[]> {
  const { value: children } = await nomad.jobs.children();
  const chosen = children
    .filter((stub) => stub.Meta?.REPO_URL && stub.Meta.COMMIT)
    .filter((stub) => (repo === undefined || stub.Meta?.REPO_URL === repo) && (branch === undefined || matchesRef(stub, branch)))
    .sort((a, b) => b.SubmitTime - a.SubmitTime)
    .slice(0, limit);
  return Promise.all(
    chosen.map(async (stub) => toBuildSummary(stub, toBuildState(stub, (await nomad.jobs.allocations(stub.ID)).value).state)),
  );
}

/** `--branch` names a branch, or a pull request as `7` or `#7`. */
function matchesRef(stub: JobListStub, branch: string): boolean {
  return stub.Meta?.BRANCH === branch || (stub.Meta?.PR !== undefined && stub.Meta.PR === branch.replace(/^#/, ""));
}

function toBuildSummary(stub: JobListStub, state: BuildStateName): BuildSummary {
  const meta = stub.Meta ?? {};
  return {
    job: stub.ID,
    builder: stub.ParentID,
    repo: meta.REPO_URL ?? "",
    ref: meta.PR ? `#${meta.PR}` : (meta.BRANCH ?? ""),
    commit: meta.COMMIT ?? "",
    flavor: meta.FLAVOR ?? "",
    state,
    submittedAt: Math.floor(stub.SubmitTime / 1e6),
  };
}
