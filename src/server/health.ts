import { Router } from "express";
import { consulCall, type Consul } from "../consul/client.js";
import type { Nomad } from "../nomad/client.js";

type Check = { ok: true; leader: string } | { ok: false; error: string };

const timeoutMs = 3_000;

/**
 * GET /healthz: whether Petrel can reach the Nomad and Consul it depends on.
 * 200 when both have a leader, 503 naming the one that is missing.
 */
export function healthRoutes({ nomad, consul }: { nomad: Nomad; consul: Consul }): Router {
  const router = Router();
  // /readyz is what a load balancer asks before sending hooks; both answer the same today.
  router.get(["/healthz", "/readyz"], async (_req, res) => {
    const [nomadCheck, consulCheck] = await Promise.all([
      check(() => nomad.leader()),
      check(() => consulCall("status leader", () => consul.status.leader())),
    ]);
    const ok = nomadCheck.ok && consulCheck.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? "ok" : "unavailable", nomad: nomadCheck, consul: consulCheck });
  });
  return router;
}

async function check(leader: () => Promise<string>): Promise<Check> {
  try {
    const found = await Promise.race([
      leader(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return found ? { ok: true, leader: found } : { ok: false, error: "no leader elected" };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
