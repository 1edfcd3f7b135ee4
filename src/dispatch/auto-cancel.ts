import { consulCall, type Consul } from "../consul/client.js";
import type { BuildRequest } from "../forge/build-request.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import { supersededKey } from "../report/report-build.js";
import type { DispatchedBuild } from "./dispatch-builds.js";

export type AutoCancelDeps = { nomad: Nomad; consul: Consul; kvPrefix: string; metrics: Metrics };

/**
 * Stops the older builds a new one makes pointless: same repository, same
 * branch or pull request, same flavor, on the same builder, still pending or
 * running. Tags never cancel anything. Which commit superseded a build is
 * noted in Consul first, so its status can say so.
 */
export function createAutoCancel({ nomad, consul, kvPrefix, metrics }: AutoCancelDeps) {
  return async function autoCancel(request: BuildRequest, builds: DispatchedBuild[], logger: Logger): Promise<string[]> {
    if (request.event === "tag") return [];
    const stopped: string[] = [];
    for (const build of builds.filter((b) => b.created)) {
      const siblings = await nomad.jobs.list(`${build.builder}/dispatch-`, { meta: true });
      const newer = siblings.find((job) => job.ID === build.job);
      const older = siblings.filter(
        (job) =>
          job.ID !== build.job &&
          !job.Stop &&
          job.Status !== "dead" &&
          (newer === undefined || job.SubmitTime < newer.SubmitTime) &&
          job.Meta?.REPO_URL === request.cloneUrl &&
          job.Meta.BRANCH === request.branch &&
          job.Meta.FLAVOR === build.flavor,
      );
      for (const job of older) {
        const key = supersededKey(kvPrefix, job.ID);
        await consulCall(`PUT kv ${key}`, () => consul.kv.set(key, request.commit));
        await nomad.jobs.stop(job.ID);
        metrics.cancels.inc({ reason: "superseded" });
        logger.info({ job: job.ID, by: build.job, commit: request.commit }, "superseded build stopped");
        stopped.push(job.ID);
      }
    }
    return stopped;
  };
}
