import { createHash } from "node:crypto";
import type { Consul } from "../consul/client.js";
import type { BuildRequest } from "../forge/build-request.js";
import type { LineLogger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { DispatchedBuild } from "./dispatch-builds.js";
import { consulKeys } from "../consul/keys.js";
import { createLatestBuilds } from "./latest-builds.js";

export type AutoCancelDeps = { nomad: Nomad; consul: Consul; kvPrefix: string; metrics: Metrics };

/**
 * Stops the build a new one makes pointless: the latest build of the same
 * repository, branch or pull request, and flavor, while it is still pending
 * or running. Which build is latest is kept in Consul (`latest-builds.ts`),
 * so finding it costs the same however many builds Nomad remembers, and
 * survives restarts. Tags never cancel anything. The superseding commit is
 * noted in the swap's transaction, before the stop, for the status: a build
 * that had ended by then keeps a note nothing reads (only a canceled build's
 * status says why) until the janitor sweeps it with the build.
 */
export function createAutoCancel({ nomad, consul, kvPrefix, metrics }: AutoCancelDeps) {
  const swapLatest = createLatestBuilds(consul);

  async function stillRunning(job: string): Promise<boolean> {
    const found = await nomad.jobs.find(job);
    return found !== undefined && found.Status !== "dead" && !found.Stop;
  }

  return async function autoCancel(request: BuildRequest, builds: DispatchedBuild[], logger: LineLogger): Promise<string[]> {
    if (request.event === "tag") return [];
    const stopped: string[] = [];
    for (const build of builds.filter((b) => b.created)) {
      const lineage = createHash("sha256").update(`${request.cloneUrl}\u0000${request.branch}\u0000${build.flavor}`).digest("hex");
      const noteWhy = (replaced: { job: string }) => ({ key: consulKeys.superseded(kvPrefix, replaced.job), value: request.commit });
      const previous = await swapLatest(consulKeys.latest(kvPrefix, lineage), { job: build.job, commit: request.commit }, noteWhy);
      if (!previous || !(await stillRunning(previous.job))) continue;
      await nomad.jobs.stop(previous.job);
      metrics.cancels.inc({ reason: "superseded" });
      logger.info({ job: previous.job, by: build.job, commit: request.commit }, "superseded build stopped");
      stopped.push(previous.job);
    }
    return stopped;
  };
}
