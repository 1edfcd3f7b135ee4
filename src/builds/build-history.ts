import type { BuildArchive } from "../archive/build-archive.js";
import type { HistoryRef } from "../archive/history.js";
import type { Nomad } from "../nomad/client.js";
import { listBuilds, type BuildSummary } from "./list-builds.js";
import { repositoryName } from "./repository-name.js";

export type HistoryQuery = { repo: string; ref?: HistoryRef; after?: string; limit: number };
export type HistoryPage = { repo: string; builds: BuildSummary[]; next?: string };

/**
 * A repository's builds a page at a time: on the first page the builds Nomad
 * knows (its running ones first) merged with the archive's newest, then the
 * archive's, continuing from `next`. A build Nomad knows is shown as Nomad
 * has it; one it has finished but not archived yet is shown while it is
 * newer than the page's oldest archived build, which the next page follows.
 */
export function buildHistory({ nomad, archive }: { nomad: Nomad; archive?: BuildArchive }) {
  return async ({ repo, ref, after, limit }: HistoryQuery): Promise<HistoryPage> => {
    const archived = archive ? await archive.history(repo, ref, { ...(after === undefined ? {} : { after }), limit }) : { builds: [] };
    const page = { repo: repositoryName(repo), ...archived };
    if (after !== undefined) return page;
    const exact = ref === undefined ? {} : { ref: "pr" in ref ? `#${ref.pr}` : ref.branch };
    // Nomad's newest builds of the repository: running builds are among them, as builds are short.
    const live = await listBuilds(nomad, { repo, ...exact, limit });
    const known = new Set(live.map((build) => build.job));
    const oldest = archived.next === undefined ? -Infinity : Math.min(...archived.builds.map((build) => build.submittedAt));
    const finished = [...live.filter((build) => build.finished && build.submittedAt >= oldest), ...archived.builds.filter((build) => !known.has(build.job))];
    return { ...page, builds: [...live.filter((build) => !build.finished), ...finished.sort((a, b) => b.submittedAt - a.submittedAt)] };
  };
}
