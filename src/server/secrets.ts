import { Router } from "express";
import type { RepoConfigs } from "../consul/repo-configs.js";
import type { Nomad } from "../nomad/client.js";
import { SingleUseError, type SingleUse } from "../single-use/single-use.js";
import { BuildIdentityError, checkBuildIdentity } from "./build-identity.js";

export type SecretsDeps = { nomad: Nomad; repoConfigs: RepoConfigs; singleUse: SingleUse };

/**
 * GET /secrets/build/:token — a trusted build's single-use URL: the
 * repository's injected secrets, once, to that build's executor alone (its
 * workload identity as a bearer). Expired or forged → 401; no identity or a
 * bad one → 401, another workload's → 403, neither using the URL up; again
 * → 410. The secrets are read from Consul at redemption, so they never sit in
 * Nomad.
 */
export function secretsRoutes({ nomad, repoConfigs, singleUse }: SecretsDeps): Router {
  const router = Router();
  router.get("/secrets/build/:token", async (req, res) => {
    res.set("cache-control", "no-store");
    const { token } = req.params;
    try {
      await singleUse.check("build", token);
      await checkBuildIdentity(nomad, req, token);
      const { subject } = await singleUse.redeem("build", token);
      const config = await repoConfigs.get(subject);
      if (!config) {
        res.status(404).json({ error: "the repository's config is gone" });
        return;
      }
      req.log.info({ repo: subject }, "build secrets redeemed");
      res.type("text/plain").send(config.inject ?? "");
    } catch (error) {
      if (!(error instanceof SingleUseError || error instanceof BuildIdentityError)) throw error;
      req.log.warn({ status: error.status, reason: error.message }, "build secrets refused");
      res.status(error.status).json({ error: error.message });
    }
  });
  return router;
}
