import { consulCall, type Consul } from "../consul/client.js";
import type { RepoConfigs } from "../consul/repo-configs.js";
import { consulKeys, jobOfKey } from "../consul/keys.js";
import type { KvEntry } from "../consul/sweep-keys.js";
import { missingBuildMeta } from "../builds/build-meta.js";
import { stateRank, toBuildState, type BuildState } from "../builds/build-state.js";
import type { CommitStatus } from "../forge/forge.js";
import { statusPoster } from "../forge/forges.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { JobSummary } from "../nomad/types.js";

export type ReporterDeps = { nomad: Nomad; consul: Consul; repoConfigs: RepoConfigs; kvPrefix: string; publicUrl: string; metrics: Metrics; logger: Logger };

/**
 * Brings one build's commit status on its forge up to date with Nomad.
 * Each state is claimed in Consul with a check-and-set before it is posted,
 * so replicas post a state once, in order, and never a state that
 * contradicts one already posted (the first final state wins).
 */
export function createReportBuild({ nomad, consul, repoConfigs, kvPrefix, publicUrl, metrics, logger }: ReporterDeps) {
  /** `known`: the job as an event just carried it, which saves asking Nomad again. */
  return async function reportBuild(jobId: string, known?: JobSummary): Promise<void> {
    const job = known ?? (await nomad.jobs.find(jobId));
    const meta = job?.Meta;
    if (!job || !meta?.FORGE || missingBuildMeta(meta).length > 0) return;
    // A repository without forge credentials gets no statuses: nothing to claim or post.
    const post = await statusPosterOf(meta);
    if (!post) return;
    const { value: allocations } = await nomad.jobs.allocations(jobId);
    const state = await describe(toBuildState(job, allocations), jobId);

    const key = consulKeys.reported(kvPrefix, jobId);
    const recorded = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    const previous = recorded?.Value ? (JSON.parse(recorded.Value) as BuildState) : undefined;
    if (previous && stateRank[previous.state] >= stateRank[state.state]) return;
    const claimed = await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: JSON.stringify(state), cas: recorded?.ModifyIndex ?? 0 }));
    if (!claimed) return;

    const status: CommitStatus = { ...state, context: meta.STATUS_CONTEXT ?? `petrel/${meta.FLAVOR ?? "default"}`, targetUrl: `${publicUrl}/build?job=${encodeURIComponent(jobId)}` };
    try {
      await post(status);
      metrics.statusPosts.inc({ forge: meta.FORGE, state: state.state, result: "posted" });
      logger.info({ job: jobId, commit: meta.COMMIT, state: state.state, description: state.description }, "commit status posted");
    } catch (error) {
      metrics.statusPosts.inc({ forge: meta.FORGE, state: state.state, result: "failed" });
      // Give the claim back, so the next event or resync tries again.
      await consulCall(`DELETE kv ${key}`, () => consul.kv.del(key)).catch(() => undefined);
      throw error;
    }
  };

  async function describe(state: BuildState, jobId: string): Promise<BuildState> {
    if (state.state !== "canceled") return state;
    const key = consulKeys.superseded(kvPrefix, jobId);
    const by = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    return by?.Value ? { state: "canceled", description: `superseded by ${by.Value.slice(0, 12)}` } : state;
  }

  async function statusPosterOf(meta: Record<string, string>): Promise<((status: CommitStatus) => Promise<void>) | undefined> {
    const config = await repoConfigs.get(meta.REPO_URL!);
    return config && statusPoster(config, { forge: meta.FORGE, forgeRepo: meta.FORGE_REPO, commit: meta.COMMIT! });
  }
}

/** A build's reported state, and why it was canceled, can go once Nomad forgets the build: nothing reports it again. */
export const reportForgotten = (entry: KvEntry, known: ReadonlySet<string>): boolean => !known.has(jobOfKey(entry.Key));
