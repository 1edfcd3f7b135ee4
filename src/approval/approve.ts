import type { RepoConfigs } from "../consul/repo-configs.js";
import type { DispatchBuilds, DispatchedBuild } from "../dispatch/dispatch-builds.js";
import type { BuildRequest } from "../forge/build-request.js";
import type { Approvals } from "./approvals.js";

export type ApproveDeps = { repoConfigs: RepoConfigs; approvals: Approvals; dispatchBuilds: DispatchBuilds };

/** Nothing waits under that id: approved already, replaced by a newer commit, or never there. */
export class NothingToApprove extends Error {
  readonly status = 404;
}

/**
 * Builds what waited for approval, once: on the repository's builder (its
 * untrusted one when it has one), never with the repository's secrets. An
 * approval vouches for the code, not for the sender: the build stays
 * untrusted. A dispatch that fails puts the record back.
 */
export function createApprove({ repoConfigs, approvals, dispatchBuilds }: ApproveDeps) {
  return async function approve(id: string, by: string): Promise<{ request: BuildRequest; builds: DispatchedBuild[] }> {
    const record = await approvals.take(id);
    if (!record) throw new NothingToApprove(`nothing waits for approval under ${id}: approved already, or replaced by a newer commit`);
    try {
      const config = await repoConfigs.get(record.request.cloneUrl);
      if (!config) throw new NothingToApprove(`the repository ${record.request.cloneUrl} has no Petrel config any more`);
      const trust = { trusted: false, reason: `approved by ${by}; ${record.reason}` };
      const builds = await dispatchBuilds(record.request, config, { flavors: record.flavors, trust, delivery: { key: `approval/${id}/${record.request.commit}` } });
      return { request: record.request, builds };
    } catch (error) {
      if (!(error instanceof NothingToApprove)) await approvals.wait(record.request, record.flavors, record.reason);
      throw error;
    }
  };
}

export type Approve = ReturnType<typeof createApprove>;
