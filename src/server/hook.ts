import express, { Router, type Request, type Response } from "express";
import { createHookHandler, type HookHandlerDeps, type HookResult } from "../hook/handle-hook.js";
import { HookError } from "../hook/hook-error.js";
import { hookLabels } from "../hook/identify.js";
import { header } from "../http-header.js";
import { announceAwaiting, approvalUrl } from "../approval/announce.js";
import { createAutoCancel, type AutoCancelDeps } from "../dispatch/auto-cancel.js";

/** Forges send a few hundred kilobytes at most; GitLab trims pushes to 20 commits. */
const maxBody = "2mb";

/**
 * POST /hook: a forge's webhook in, builder children out. Albatros' form
 * (`?token=`) answers the job ids as text; the native forms answer JSON.
 * Every refusal is a 4xx JSON naming the problem.
 */
export function hookRoutes(deps: HookHandlerDeps & AutoCancelDeps & { publicUrl: string }): Router {
  const handleHook = createHookHandler(deps);
  const autoCancel = createAutoCancel(deps);
  const router = Router();
  router.post(
    "/hook",
    (req, _res, next) => {
      const type = header(req.headers, "content-type");
      next(type && /^application\/json\b/i.test(type) ? undefined : new HookError(415, `expected Content-Type application/json (got ${type ?? "none"}); set the webhook's content type to JSON`));
    },
    express.raw({ type: () => true, limit: maxBody }),
    async (req, res) => {
      const started = performance.now();
      const query = queryOf(req);
      let result: HookResult;
      try {
        result = await handleHook({ headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), query });
      } catch (error) {
        deps.metrics.hooks.inc({ ...hookLabels(req.headers, query.token), outcome: refusalOutcome(error) });
        req.log.warn({ problem: (error as Error).message }, "hook refused");
        throw error;
      }
      deps.metrics.hooks.inc({ ...hookLabels(req.headers, query.token), outcome: result.outcome });
      if (result.outcome === "ignored") {
        req.log.info({ repo: result.repo, event: result.source.event, reason: result.reason }, "hook ignored");
        res.status(202).json({ ignored: result.reason });
        return;
      }
      if (result.outcome === "awaiting") {
        const { approval } = result;
        req.log.info({ repo: result.repo, commit: approval.request.commit, approval: approval.id, reason: approval.reason }, "hook awaits approval");
        const url = approvalUrl(deps.publicUrl, approval.id);
        if (result.source.albatros) res.status(202).type("text/plain").send(`awaiting approval: ${url}`);
        else res.status(202).json({ trusted: false, reason: approval.reason, awaitingApproval: { id: approval.id, url } });
        announceAwaiting(result.config, approval, deps.publicUrl).catch((error: unknown) => req.log.warn({ err: (error as Error).message }, "could not post the awaiting-approval status"));
        return;
      }
      deps.metrics.hookLatency.observe((performance.now() - started) / 1000);
      for (const build of result.builds) deps.metrics.dispatches.inc({ result: build.created ? "created" : "existing" });
      logDispatched(req, result);
      answer(res, result);
      // After answering: a forge waits on the hook, not on older builds being stopped.
      if (result.config.autoCancel) {
        autoCancel(result.request, result.builds, req.log).catch((error: unknown) => req.log.warn({ err: (error as Error).message }, "could not stop superseded builds"));
      }
    },
  );
  return router;
}

function refusalOutcome(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? String(status) : "unavailable";
}

function queryOf(req: Request): { token?: string; flavor?: string } {
  const pick = (name: string) => {
    const value = req.query[name];
    return typeof value === "string" ? value : undefined;
  };
  const token = pick("token");
  const flavor = pick("flavor");
  return { ...(token === undefined ? {} : { token }), ...(flavor === undefined ? {} : { flavor }) };
}

function logDispatched(req: Request, result: Extract<HookResult, { outcome: "dispatched" }>) {
  req.log.info(
    {
      repo: result.repo,
      event: result.request.event,
      commit: result.request.commit,
      branch: result.request.branch,
      sender: result.request.sender,
      trusted: result.trust.trusted,
      trustReason: result.trust.reason,
      jobs: result.builds.map((build) => build.job),
    },
    "hook dispatched",
  );
}

function answer(res: Response, result: Extract<HookResult, { outcome: "dispatched" }>) {
  if (result.source.albatros) {
    res.type("text/plain").send(result.builds.map((build) => build.job).join("\n"));
    return;
  }
  res.json({
    trusted: result.trust.trusted,
    reason: result.trust.reason,
    builds: result.builds.map(({ flavor, job, created }) => ({ flavor, job, created })),
  });
}
