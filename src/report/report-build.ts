import { consulCall, type Consul } from "../consul/client.js";
import type { RepoConfigs } from "../consul/repo-configs.js";
import { consulKeys, jobOfKey } from "../consul/keys.js";
import type { KvEntry } from "../consul/sweep-keys.js";
import { missingBuildMeta } from "../builds/build-meta.js";
import { isFinal, stateRank, toBuildState, type BuildState } from "../builds/build-state.js";
import type { LoadedBuild } from "../builds/load-build.js";
import type { ArchiveBuild } from "../archive/archive-build.js";
import type { CommitStatus } from "../forge/forge.js";
import { statusPoster } from "../forge/forges.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { JobSummary } from "../nomad/types.js";

export type ReporterDeps = {
  nomad: Nomad;
  consul: Consul;
  repoConfigs: RepoConfigs;
  kvPrefix: string;
  publicUrl: string;
  metrics: Metrics;
  logger: Logger;
  /** Stores each build once it is final; without it builds live in Nomad alone. */
  archiveBuild?: ArchiveBuild;
};

/** A state as claimed in Consul; `archived` once the final one's build is in the archive. */
type Claimed = BuildState & { archived?: true };

/** `repair`: the resync's look, which also archives a final build whose archiving was cut short. */
export type ReportOptions = { known?: JobSummary; repair?: boolean };

/**
 * Brings one build's commit status on its forge up to date with Nomad, and
 * archives it once final. Each state is claimed in Consul with a
 * check-and-set before it is posted, so replicas post a state once, in
 * order, and never a state that contradicts one already posted (the first
 * final state wins). The replica that claims the final state archives the
 * build and then marks the claim archived; a replica stopped before the mark
 * leaves it to the next resync, and archiving again writes the same objects.
 */
export function createReportBuild({ nomad, consul, repoConfigs, kvPrefix, publicUrl, metrics, logger, archiveBuild }: ReporterDeps) {
  /** `known`: the job as an event just carried it, which saves asking Nomad again. */
  return async function reportBuild(jobId: string, { known, repair = false }: ReportOptions = {}): Promise<void> {
    const job = known ?? (await nomad.jobs.find(jobId));
    const meta = job?.Meta;
    if (!job || !meta?.FORGE || missingBuildMeta(meta).length > 0) return;
    // A repository without a config here is another Petrel's; one without forge credentials gets no
    // statuses, and only the archive needs its states claimed.
    const config = await repoConfigs.get(meta.REPO_URL!);
    if (!config) return;
    const post = statusPoster(config, { forge: meta.FORGE, forgeRepo: meta.FORGE_REPO, commit: meta.COMMIT! });
    if (!post && !archiveBuild) return;
    const { value: allocations } = await nomad.jobs.allocations(jobId);
    const state = await describe(toBuildState(job, allocations), jobId);

    const key = consulKeys.reported(kvPrefix, jobId);
    const recorded = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    const previous = recorded?.Value ? (JSON.parse(recorded.Value) as Claimed) : undefined;
    if (previous && stateRank[previous.state] >= stateRank[state.state]) {
      if (repair && isFinal(previous.state) && !previous.archived) await archive(jobId, { job, allocations }, previous);
      return;
    }
    const claimed = await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: JSON.stringify(state), cas: recorded?.ModifyIndex ?? 0 }));
    if (!claimed) return;

    if (post) {
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
    }
    if (isFinal(state.state)) await archive(jobId, { job, allocations }, state);
  };

  async function archive(jobId: string, build: LoadedBuild, final: BuildState): Promise<void> {
    if (!archiveBuild) return;
    try {
      await archiveBuild(build, final);
    } catch (error) {
      metrics.archived.inc({ result: "failed" });
      throw error;
    }
    metrics.archived.inc({ result: "archived" });
    const key = consulKeys.reported(kvPrefix, jobId);
    const recorded = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    if (!recorded?.Value) return;
    const value: Claimed = { ...(JSON.parse(recorded.Value) as Claimed), archived: true };
    await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: JSON.stringify(value), cas: recorded.ModifyIndex }));
    logger.info({ job: jobId, state: final.state }, "build archived");
  }

  async function describe(state: BuildState, jobId: string): Promise<BuildState> {
    if (state.state !== "canceled") return state;
    const key = consulKeys.superseded(kvPrefix, jobId);
    const by = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    return by?.Value ? { state: "canceled", description: `superseded by ${by.Value.slice(0, 12)}` } : state;
  }
}

/** A build's reported state, and why it was canceled, can go once Nomad forgets the build: nothing reports it again. */
export const reportForgotten = (entry: KvEntry, known: ReadonlySet<string>): boolean => !known.has(jobOfKey(entry.Key));
