import type { Nomad } from "../nomad/client.js";
import { toBuildStatus, type BuildStatus } from "./build-status.js";
import type { BuildStateName } from "./build-state.js";
import { repositoryName } from "./repository-name.js";

/** One build as a line of a list: `petrel status`, the history page, the badge. */
export type BuildSummary = {
  job: string;
  builder: string;
  repo: string;
  /** `#<n>` for a pull request, else the branch. */
  ref: string;
  commit: string;
  flavor: string;
  sender: string;
  state: BuildStateName;
  finished: boolean;
  /** Unix milliseconds. */
  submittedAt: number;
  durationSeconds: number | null;
};

/**
 * A repository (a clone URL or owner/name); `branch`: a branch or a pull
 * request (`7` or `#7`), as `petrel status --branch` takes it; `ref`: a
 * summary's `ref` exactly (a branch's builds, not its pull requests').
 */
export type BuildFilter = { repo?: string; branch?: string; ref?: string; limit?: number };

/**
 * Recent builds of every builder, newest first: one job listing (every
 * dispatched child carries its build's meta) to choose them, then each one's
 * allocations, so each shows the state its page and commit status show.
 */
export async function listBuilds(nomad: Nomad, { repo, branch, ref, limit = 20 }: BuildFilter = {}): Promise<BuildSummary[]> {
  const { value: children } = await nomad.jobs.children();
  const name = repo === undefined ? undefined : repositoryName(repo);
  const chosen = children
    .filter((stub) => stub.Meta?.REPO_URL && stub.Meta.COMMIT)
    .filter((stub) => name === undefined || repositoryName(stub.Meta?.FORGE_REPO || stub.Meta?.REPO_URL || "") === name)
    .filter((stub) => (branch === undefined || matchesRef(stub.Meta!, branch)) && (ref === undefined || refOf(stub.Meta!) === ref))
    .sort((a, b) => b.SubmitTime - a.SubmitTime)
    .slice(0, limit);
  return Promise.all(
    chosen.map(async (stub) => summarize(toBuildStatus({ job: { ...stub, Meta: stub.Meta ?? null, ParameterizedJob: null }, allocations: (await nomad.jobs.allocations(stub.ID)).value }))),
  );
}

/** `--branch` names a branch, or a pull request as `7` or `#7`. */
function matchesRef(meta: Record<string, string>, branch: string): boolean {
  return meta.BRANCH === branch || (meta.PR !== undefined && meta.PR === branch.replace(/^#/, ""));
}

const refOf = (meta: Record<string, string>) => (meta.PR ? `#${meta.PR}` : (meta.BRANCH ?? ""));

/** A build's line, from its status as Nomad or the archive has it. */
export function summarize(status: BuildStatus): BuildSummary {
  const meta = status.meta;
  return {
    job: status.job,
    builder: status.builder,
    repo: meta.REPO_URL ?? "",
    ref: refOf(meta),
    commit: meta.COMMIT ?? "",
    flavor: meta.FLAVOR ?? "",
    sender: meta.SENDER ?? "",
    state: status.state,
    finished: status.finished,
    submittedAt: status.submittedAt === null ? 0 : Date.parse(status.submittedAt),
    durationSeconds: status.durationSeconds,
  };
}
