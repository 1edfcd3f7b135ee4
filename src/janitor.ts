import type { BuildArchive } from "./archive/build-archive.js";
import type { Consul } from "./consul/client.js";
import { consulKeys } from "./consul/keys.js";
import { deleteStale, listKeys } from "./consul/sweep-keys.js";
import { latestOver } from "./dispatch/latest-builds.js";
import type { Logger } from "./log.js";
import type { Nomad } from "./nomad/client.js";
import { reportForgotten } from "./report/report-build.js";
import { redemptionSpent } from "./single-use/single-use.js";

export type JanitorDeps = {
  consul: Consul;
  nomad: Nomad;
  kvPrefix: string;
  logger: Logger;
  /** A folder archive, whose builds older than `retentionDays` go too (a bucket's lifecycle rule does this for S3). */
  retention?: { archive: BuildArchive; retentionDays: number };
};
export type Swept = { redeemed: number; reported: number; superseded: number; latest: number; archived?: number };

/**
 * Removes the keys Petrel wrote that can no longer matter, each by its
 * owner's rule: redemption records of expired tokens, reports of builds Nomad
 * has forgotten, the latest build of a branch that runs no more; and a folder
 * archive's builds past their retention. The keys are
 * read before Nomad is, so a build dispatched meanwhile is never taken for
 * forgotten; every delete is a check-and-set, so replicas sweeping at once
 * stay right. Never on the hook path.
 */
export async function sweepOnce({ consul, nomad, kvPrefix, retention }: JanitorDeps, nowSeconds = Date.now() / 1000): Promise<Swept> {
  const [redeemed, reported, superseded, latest] = await Promise.all(
    (["redeemed", "reported", "superseded", "latest"] as const).map((name) => listKeys(consul, consulKeys.folder(kvPrefix, name))),
  );
  const { value: children } = await nomad.jobs.children();
  const known = new Set(children.map((job) => job.ID));
  const running = new Set(children.filter((job) => job.Status !== "dead" && !job.Stop).map((job) => job.ID));
  return {
    redeemed: await deleteStale(consul, redeemed!, (entry) => redemptionSpent(entry, nowSeconds)),
    reported: await deleteStale(consul, reported!, (entry) => reportForgotten(entry, known)),
    superseded: await deleteStale(consul, superseded!, (entry) => reportForgotten(entry, known)),
    latest: await deleteStale(consul, latest!, (entry) => latestOver(entry, running)),
    ...(retention ? { archived: await retention.archive.prune(new Date((nowSeconds - retention.retentionDays * 86_400) * 1000)) } : {}),
  };
}

/** Sweeps every `intervalSeconds` (a tenth of it at random later or sooner, so replicas drift apart) until stopped. */
export function startJanitor(deps: JanitorDeps, intervalSeconds: number): { stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      sweepOnce(deps)
        .then((swept) => Object.values(swept).some((count) => count > 0) && deps.logger.info(swept, "swept Consul keys and archived builds that no longer matter"))
        .catch((error: unknown) => deps.logger.warn({ err: (error as Error).message }, "could not sweep; trying again later"))
        .finally(schedule);
    }, intervalSeconds * 1000 * (0.9 + Math.random() * 0.2));
    timer.unref();
  };
  schedule();
  return { stop: () => clearTimeout(timer) };
}
