import { Router } from "express";
import { z } from "zod";
import type { BuildArchive } from "../archive/build-archive.js";
import { buildHistory } from "../builds/build-history.js";
import { namesRepository } from "../builds/repository-name.js";
import type { Nomad } from "../nomad/client.js";
import { badgeSvg, badgeVerdict } from "./badge.js";
import { historyPage } from "./history-page.js";
import { pageSender } from "./send-page.js";

const sendHistoryPage = pageSender(historyPage());

const repoQuery = {
  repo: z.string("missing query parameter 'repo' (a clone URL or owner/name)").refine(namesRepository, "query parameter 'repo' must be a clone URL or owner/name"),
  branch: z.string().min(1, "query parameter 'branch' is empty").optional(),
  pr: z.coerce.number("query parameter 'pr' must be a pull request's number").int("query parameter 'pr' must be a pull request's number").positive("query parameter 'pr' must be a pull request's number").optional(),
};
const historyQuery = z.object({
  ...repoQuery,
  after: z.string().max(1024, "query parameter 'after' is too long").optional(),
  limit: z.coerce.number("query parameter 'limit' must be 1 to 100").int("query parameter 'limit' must be 1 to 100").min(1, "query parameter 'limit' must be 1 to 100").max(100, "query parameter 'limit' must be 1 to 100").optional(),
});
const badgeQuery = z.object({ ...repoQuery, flavor: z.string().min(1, "query parameter 'flavor' is empty").optional() });

export type HistoryRoutesDeps = { nomad: Nomad; archive?: BuildArchive };

/**
 * GET /builds?repo=…[&branch=…|&pr=…]: a repository's builds, running ones
 * first, then the rest newest first, from Nomad and the archive merged (JSON,
 * or a page for browsers); GET /badge?repo=…&branch=…[&flavor=…]: its verdict
 * as an SVG for a README.
 */
export function historyRoutes({ nomad, archive }: HistoryRoutesDeps): Router {
  const router = Router();
  const history = buildHistory({ nomad, ...(archive ? { archive } : {}) });

  router.get("/builds", async (req, res) => {
    const parsed = historyQuery.safeParse(req.query);
    if (!parsed.success || (parsed.data.branch !== undefined && parsed.data.pr !== undefined)) {
      res.status(400).json({ error: parsed.success ? "give 'branch' or 'pr', not both" : (parsed.error.issues[0]?.message ?? "invalid query") });
      return;
    }
    res.vary("Accept");
    if (req.accepts(["json", "html"]) === "html") {
      sendHistoryPage(res);
      return;
    }
    const { repo, branch, pr, after, limit = 20 } = parsed.data;
    const ref = pr !== undefined ? { pr } : branch !== undefined ? { branch } : undefined;
    res.set("cache-control", "no-store").json(await history({ repo, ...(ref ? { ref } : {}), ...(after ? { after } : {}), limit }));
  });

  router.get("/badge", async (req, res) => {
    const parsed = badgeQuery.safeParse(req.query);
    if (!parsed.success || (parsed.data.branch !== undefined && parsed.data.pr !== undefined)) {
      res.status(400).json({ error: parsed.success ? "give 'branch' or 'pr', not both" : (parsed.error.issues[0]?.message ?? "invalid query") });
      return;
    }
    const { repo, branch, pr, flavor } = parsed.data;
    const ref = pr !== undefined ? { pr } : branch !== undefined ? { branch } : undefined;
    const { builds } = await history({ repo, ...(ref ? { ref } : {}), limit: 10 });
    const verdict = badgeVerdict(builds.filter((build) => flavor === undefined || build.flavor === flavor));
    // A README's image proxy (GitHub's camo) asks again each time it is shown, and gets a 304 while nothing changed.
    // Compared here, not with req.fresh, which ignores a validator sent with `Cache-Control: no-cache`, as fetch sends it.
    const etag = `"${verdict}"`;
    res.type("image/svg+xml").set({ "cache-control": "no-cache, max-age=0", etag });
    const had = (req.get("if-none-match") ?? "").split(",").map((tag) => tag.trim().replace(/^W\//, ""));
    if (had.includes(etag)) res.status(304).end();
    else res.send(badgeSvg(verdict));
  });
  return router;
}
