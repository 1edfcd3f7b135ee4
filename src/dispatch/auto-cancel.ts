import { createHash } from "node:crypto";
import { consulCall, type Consul } from "../consul/client.js";
import type { BuildRequest } from "../forge/build-request.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import type { DispatchedBuild } from "./dispatch-builds.js";
import { consulKeys } from "../consul/keys.js";
import type { KvEntry } from "../consul/sweep-keys.js";

export type AutoCancelDeps = { nomad: Nomad; consul: Consul; kvPrefix: string; metrics: Metrics };

type Latest = { job: string; commit: string };

/**
 * Stops the build a new one makes pointless: the latest build of the same
 * repository, branch or pull request, and flavor, while it is still pending
 * or running. Which build is latest is kept in Consul, one key per
 * branch-and-flavor swapped with a check-and-set, so finding it costs the
 * same however many builds Nomad remembers, and survives restarts. Tags never
 * cancel anything. The superseding commit is noted first, for the status.
 */
export function createAutoCancel({ nomad, consul, kvPrefix, metrics }: AutoCancelDeps) {
  /** The swap each branch's key is waiting on in this process. */
  const swapping = new Map<string, Promise<unknown>>();

  /**
   * Pushes racing on one branch take their turns here, so a check-and-set
   * only ever races another replica's: racing each other, each would read,
   * lose and read again, some fifty times over for fifty pushes at once.
   */
  function swapLatest(key: string, latest: Latest): Promise<Latest | undefined> {
    const swapped = (swapping.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => swapOnce(key, latest));
    swapping.set(key, swapped);
    void swapped.catch(() => undefined).finally(() => swapping.get(key) === swapped && swapping.delete(key));
    return swapped;
  }

  async function swapOnce(key: string, latest: Latest): Promise<Latest | undefined> {
    for (;;) {
      const current = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
      const previous = current?.Value ? (JSON.parse(current.Value) as Latest) : undefined;
      if (previous?.job === latest.job) return undefined;
      const swapped = await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: JSON.stringify(latest), cas: current?.ModifyIndex ?? 0 }));
      if (swapped) return previous;
    }
  }

  async function stillRunning(job: string): Promise<boolean> {
    const found = await nomad.jobs.find(job);
    return found !== undefined && found.Status !== "dead" && !found.Stop;
  }

  return async function autoCancel(request: BuildRequest, builds: DispatchedBuild[], logger: Logger): Promise<string[]> {
    if (request.event === "tag") return [];
    const stopped: string[] = [];
    for (const build of builds.filter((b) => b.created)) {
      const lineage = createHash("sha256").update(`${request.cloneUrl}\u0000${request.branch}\u0000${build.flavor}`).digest("hex");
      const previous = await swapLatest(consulKeys.latest(kvPrefix, lineage), { job: build.job, commit: request.commit });
      if (!previous || !(await stillRunning(previous.job))) continue;
      const key = consulKeys.superseded(kvPrefix, previous.job);
      await consulCall(`PUT kv ${key}`, () => consul.kv.set(key, request.commit));
      await nomad.jobs.stop(previous.job);
      metrics.cancels.inc({ reason: "superseded" });
      logger.info({ job: previous.job, by: build.job, commit: request.commit }, "superseded build stopped");
      stopped.push(previous.job);
    }
    return stopped;
  };
}

/** The latest build of a branch can go once it runs no more: a newer build would have nothing to stop. */
export function latestOver(entry: KvEntry, running: ReadonlySet<string>): boolean {
  try {
    const { job } = JSON.parse(entry.Value ?? "") as Partial<Latest>;
    return typeof job === "string" && !running.has(job);
  } catch {
    return false;
  }
}
