import { Router } from "express";
import type { Consul } from "../consul/client.js";
import { readRepoConfig } from "../consul/repo-config.js";
import { SingleUseError, type SingleUse } from "../single-use/single-use.js";

/**
 * GET /secrets/build/:token — a trusted build's single-use URL: the
 * repository's injected secrets, once. Again → 410; expired or forged → 401.
 * The secrets are read from Consul at redemption, so they never sit in Nomad.
 */
export function secretsRoutes({ consul, kvPrefix, singleUse }: { consul: Consul; kvPrefix: string; singleUse: SingleUse }): Router {
  const router = Router();
  router.get("/secrets/build/:token", async (req, res) => {
    res.set("cache-control", "no-store");
    try {
      const { subject } = await singleUse.redeem("build", req.params.token);
      const config = await readRepoConfig(consul, kvPrefix, subject);
      if (!config) {
        res.status(404).json({ error: "the repository's config is gone" });
        return;
      }
      req.log.info({ repo: subject }, "build secrets redeemed");
      res.type("text/plain").send(config.inject ?? "");
    } catch (error) {
      if (!(error instanceof SingleUseError)) throw error;
      res.status(error.status).json({ error: error.message });
    }
  });
  return router;
}
