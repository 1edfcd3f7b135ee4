import { consulCall, type Consul } from "../consul/client.js";
import { readRepoConfig } from "../consul/repo-config.js";
import { postCommitStatus, statusTargetOf, type StatusTarget } from "../forge/status.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { JobSummary } from "../nomad/types.js";
import { stateRank, toBuildState, type BuildState } from "./build-state.js";

export type ReporterDeps = { nomad: Nomad; consul: Consul; kvPrefix: string; publicUrl: string; metrics: Metrics; logger: Logger };

/** Where Petrel notes, per build, the last state posted — and why a canceled build was stopped. */
export const reportKey = (prefix: string, job: string) => `${prefix}/_petrel/reported/${Buffer.from(job).toString("base64url")}`;
export const supersededKey = (prefix: string, job: string) => `${prefix}/_petrel/superseded/${Buffer.from(job).toString("base64url")}`;

/**
 * Brings one build's commit status on its forge up to date with Nomad.
 * Each state is claimed in Consul with a check-and-set before it is posted,
 * so replicas post a state once, in order, and never a state that
 * contradicts one already posted (the first final state wins).
 */
export function createReportBuild({ nomad, consul, kvPrefix, publicUrl, metrics, logger }: ReporterDeps) {
  /** `known`: the job as an event just carried it, which saves asking Nomad again. */
  return async function reportBuild(jobId: string, known?: JobSummary): Promise<void> {
    const job = known ?? (await nomad.jobs.find(jobId));
    const meta = job?.Meta;
    if (!job || !meta?.FORGE || !meta.COMMIT || !meta.REPO_URL) return;
    // A repository without forge credentials gets no statuses: nothing to claim or post.
    const target = await statusTarget(meta);
    if (!target) return;
    const { value: allocations } = await nomad.jobs.allocations(jobId);
    const state = await describe(toBuildState(job, allocations), jobId);

    const key = reportKey(kvPrefix, jobId);
    const recorded = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    const previous = recorded?.Value ? (JSON.parse(recorded.Value) as BuildState) : undefined;
    if (previous && stateRank[previous.state] >= stateRank[state.state]) return;
    const claimed = await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: JSON.stringify(state), cas: recorded?.ModifyIndex ?? 0 }));
    if (!claimed) return;

    const status = { ...state, context: meta.STATUS_CONTEXT ?? `petrel/${meta.FLAVOR ?? "default"}`, targetUrl: `${publicUrl}/build?job=${encodeURIComponent(jobId)}` };
    try {
      await postCommitStatus(target, status);
      metrics.statusPosts.inc({ forge: target.forge, state: state.state, result: "posted" });
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
    const key = supersededKey(kvPrefix, jobId);
    const by = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    return by?.Value ? { state: "canceled", description: `superseded by ${by.Value.slice(0, 12)}` } : state;
  }

  async function statusTarget(meta: Record<string, string>): Promise<StatusTarget | undefined> {
    const config = await readRepoConfig(consul, kvPrefix, meta.REPO_URL!);
    return config && statusTargetOf(config, meta.FORGE === "gitlab" ? "gitlab" : "gitea", meta.FORGE_REPO, meta.COMMIT!);
  }
}
