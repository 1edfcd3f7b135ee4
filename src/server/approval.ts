import { Router, type Request } from "express";
import { isApprovalId, type Approvals } from "../approval/approvals.js";
import type { Approve } from "../approval/approve.js";
import { approvalPage } from "./approval-page.js";
import { pageSender } from "./send-page.js";

const sendApprovalPage = pageSender(approvalPage());
import { requireApiToken } from "./bearer.js";

export type ApprovalRouteDeps = { approvals: Approvals; approve: Approve; apiToken: string | undefined };

/**
 * GET /build/approval?id=… shows what waits (no secret is in it; a browser
 * gets a page with an Approve button); POST
 * /build/approve?id=… builds it, with the operator token.
 */
export function approvalRoutes({ approvals, approve, apiToken }: ApprovalRouteDeps): Router {
  const router = Router();
  router.get("/build/approval", async (req, res) => {
    const id = idParam(req);
    if (id === undefined) return void res.status(400).json({ error: badId });
    res.vary("Accept");
    if (req.accepts(["json", "html"]) === "html") return sendApprovalPage(res);
    const record = await approvals.get(id);
    if (!record) return void res.status(404).json({ error: `nothing waits for approval under ${id}` });
    const { request } = record;
    res.json({
      id,
      repo: request.cloneUrl,
      commit: request.commit,
      branch: request.branch,
      event: request.event,
      sender: request.sender,
      ...(request.pullRequest ? { pullRequest: request.pullRequest.number, author: request.pullRequest.author ?? null } : {}),
      flavors: record.flavors,
      reason: record.reason,
      since: record.since,
      approve: `POST /build/approve?id=${id}`,
    });
  });
  router.post("/build/approve", requireApiToken(apiToken, "approvals"), async (req, res) => {
    const id = idParam(req);
    if (id === undefined) return void res.status(400).json({ error: badId });
    const { builds } = await approve(id, "operator");
    req.log.info({ approval: id, jobs: builds.map((build) => build.job) }, "approved");
    res.status(201).json({ approved: id, builds: builds.map(({ flavor, job, created }) => ({ flavor, job, created })) });
  });
  return router;
}

const badId = "id: expected ?id=<the 24 hex digits of an approval>";

function idParam(req: Request): string | undefined {
  const id = req.query.id;
  return typeof id === "string" && isApprovalId(id) ? id : undefined;
}
