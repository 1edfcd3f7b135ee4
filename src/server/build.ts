import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { Router, type Response } from "express";
import { z } from "zod";
import { toBuildStatus, type BuildStatus } from "../builds/build-status.js";
import { commitLink } from "../forge/forges.js";
import { latestAllocation, resolveTask } from "../builds/allocation.js";
import { isFinal, toBuildState } from "../builds/build-state.js";
import { archivedStatus, locateBuild } from "../builds/locate-build.js";
import type { BuildArchive, LogType } from "../archive/build-archive.js";
import { createBuildLogs, sendBuildLog } from "../builds/read-log.js";
import type { Metrics } from "../metrics.js";
import type { Nomad } from "../nomad/client.js";
import { buildPage } from "./build-page.js";
import { pageSender } from "./send-page.js";

const sendBuildPage = pageSender(buildPage());

const query = z.object({
  job: z.string("missing query parameter 'job'").min(1, "query parameter 'job' is empty"),
  log: z.enum(["stdout", "stderr"], "query parameter 'log' must be stdout or stderr").optional(),
  follow: z.enum(["0", "1", "true", "false"], "query parameter 'follow' must be 1 or 0").optional(),
  task: z.string().regex(/^[A-Za-z0-9_.-]+$/, "query parameter 'task' must be a task name").optional(),
  offset: z.coerce.number("query parameter 'offset' must be a byte count").int("query parameter 'offset' must be a byte count").nonnegative("query parameter 'offset' must be a byte count").optional(),
});

// Served to the page from the installed package, so the browser renders ANSI colours with the same well-kept code everywhere.
const ansiUpPath = fileURLToPath(import.meta.resolve("ansi_up"));

export type BuildRoutesDeps = { nomad: Nomad; archive?: BuildArchive; metrics: Metrics; maxLogStreams: number; logIdleSeconds: number };

/**
 * GET /build?job=…: a build's status (JSON), its live page (browsers), or its
 * log (`&log=`, `&follow=1`), from Nomad while Nomad has them and from the
 * archive after: the job collected, or a finished build's allocation removed
 * from its node with its logs.
 */
export function buildRoutes({ nomad, archive, metrics, maxLogStreams, logIdleSeconds }: BuildRoutesDeps): Router {
  const router = Router();
  const logs = createBuildLogs(nomad, (open) => metrics.logUpstreams.set(open));
  let open = 0;
  // Half the streams at most per client address, so that one client's idle followers never hold them all.
  const perClient = Math.ceil(maxLogStreams / 2);
  const openBy = new Map<string, number>();

  router.get("/build/assets/ansi_up.js", (_req, res, next) => {
    res.type("text/javascript").set("cache-control", "public, max-age=3600");
    pipeline(createReadStream(ansiUpPath), res).catch(next);
  });

  router.get("/build", async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues[0]?.message ?? "invalid query" });
      return;
    }
    const { job, log, task, offset = 0 } = parsed.data;
    const follow = parsed.data.follow === "1" || parsed.data.follow === "true";
    const located = await locateBuild(nomad, archive, job);
    const tasks = (located.from === "nomad" ? Object.keys(latestAllocation(located.build.allocations)?.TaskStates ?? {}) : Object.keys(located.record.status.tasks)).sort();
    if (task !== undefined && tasks.length > 0 && !tasks.includes(task)) {
      res.status(400).json({ error: `job '${job}' has no task '${task}' (its tasks: ${tasks.join(", ")})` });
      return;
    }
    if (log === undefined) {
      // One URL answers a page or JSON by Accept: a cache must keep them apart.
      res.vary("Accept");
      if (req.accepts(["json", "html"]) === "html") sendBuildPage(res);
      else res.json(withLinks(located.from === "nomad" ? toBuildStatus(located.build, task) : archivedStatus(located.record)));
      return;
    }
    if (located.from === "archive") {
      await sendArchivedLog(res, archive!, job, task ?? located.record.status.task, log, offset);
      return;
    }
    if (open >= maxLogStreams) {
      res.status(503).set("retry-after", "5").json({ error: `${open} build logs are being streamed already, the most this Petrel serves at once; retry later` });
      return;
    }
    const client = req.socket.remoteAddress ?? "";
    const mine = openBy.get(client) ?? 0;
    if (mine >= perClient) {
      res.status(503).set("retry-after", "5").json({ error: `this client streams ${mine} build logs already, the most one client gets of this Petrel's ${maxLogStreams}; retry later` });
      return;
    }
    const { job: summary, allocations } = located.build;
    const logTask = resolveTask(latestAllocation(allocations), task);
    // A finished build has nothing to wait for: its answer starts with its first byte, so that a
    // log its node no longer has can still come from the archive.
    const finished = isFinal(toBuildState(summary, allocations, logTask).state);
    open += 1;
    openBy.set(client, mine + 1);
    metrics.logStreams.inc();
    // The client going away ends the upstream stream and the watch on the allocation.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    // A follower of a build that prints nothing holds a stream for nothing: it ends, and asks again from its offset.
    const idle = new AbortController();
    const quiet = follow ? setTimeout(() => idle.abort(), logIdleSeconds * 1000) : undefined;
    const stop = AbortSignal.any([gone.signal, idle.signal]);
    try {
      res.type("text/plain; charset=utf-8").set(logHeaders);
      if (follow && !finished) res.flushHeaders();
      const segments = logs.read(job, { type: log, follow, signal: stop, ...(task === undefined ? {} : { task }), offset });
      await sendBuildLog(segments, res, stop, () => quiet?.refresh());
      res.end();
    } catch (error) {
      if (idle.signal.aborted && !gone.signal.aborted) res.end();
      else if (!res.headersSent && finished && archive !== undefined && (await archive.record(job)) !== undefined) await sendArchivedLog(res, archive, job, logTask, log, offset);
      else endAfterFailure(res, error, gone.signal);
    } finally {
      clearTimeout(quiet);
      open -= 1;
      const left = (openBy.get(client) ?? 1) - 1;
      if (left > 0) openBy.set(client, left);
      else openBy.delete(client);
      metrics.logStreams.dec();
    }
  });
  return router;
}

/**
 * A status with where to go next: the commit on its forge, and the history
 * of its branch or pull request (relative to `/build`, as the page is).
 */
function withLinks(status: BuildStatus): BuildStatus & { links: { commit?: string; history: string } } {
  const { REPO_URL: repo = "", FORGE_REPO: name, PR: pr, BRANCH: branch = "" } = status.meta;
  const history = `builds?${new URLSearchParams({ repo: name || repo, ...(pr ? { pr } : { branch }) }).toString()}`;
  const commit = commitLink(status.meta);
  return { ...status, links: { ...(commit ? { commit } : {}), history } };
}

const logHeaders = { "cache-control": "no-store", "x-content-type-options": "nosniff", "x-accel-buffering": "no" };

/** An archived log from `offset`, whole: the build is over. A task that never ran has an empty log, as in Nomad. */
async function sendArchivedLog(res: Response, archive: BuildArchive, job: string, task: string, type: LogType, offset: number): Promise<void> {
  const log = await archive.log(job, task, type, offset);
  res.type("text/plain; charset=utf-8").set(logHeaders);
  if (log === undefined) res.end();
  else await pipeline(log, res);
}

/** Before the first byte an error still gets its JSON answer; after it, the only honest signal is a cut stream. */
function endAfterFailure(res: Response, error: unknown, gone: AbortSignal): void {
  if (gone.aborted) return;
  if (!res.headersSent) throw error;
  res.destroy(error as Error);
}
