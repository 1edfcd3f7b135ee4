import express, { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Consul } from "../consul/client.js";
import { GatewayConfigError, readDutConfig, readPduConfig } from "../gateway/config.js";
import { pduActions } from "../gateway/pdu/control.js";
import { createPdu } from "../gateway/pdu/create-pdu.js";
import { PduError } from "../gateway/pdu/driver.js";
import { runPduAction } from "../gateway/pdu/run-action.js";
import type { Nomad } from "../nomad/client.js";
import { UpstreamError } from "../upstream-error.js";
import { requireApiToken } from "./bearer.js";

export type GatewayDeps = {
  nomad: Nomad;
  consul: Consul;
  kvPrefix: string;
  apiToken: string | undefined;
  /** The jobs registered from hcl/pdu.hcl and hcl/dut.hcl. */
  pduJob?: string;
  dutJob?: string;
};

const outlet = z.coerce.number().int("outlet: expected a whole number").min(1, "outlet: expected a number from 1");
const actionBody = z.object({ action: z.enum(pduActions, `action: expected one of ${pduActions.join(", ")}`) }, "expected a JSON body {\"action\":\"on|off|cycle|status\"}");

/**
 * POST /gateway/pdus/:pdu/outlets/:n and POST /gateway/duts/:dut/run dispatch
 * hcl/pdu.hcl's and hcl/dut.hcl's jobs on the gateway and answer the job id
 * (then /build?job=… shows it); GET /gateway/pdus/:pdu reads every outlet from here.
 */
export function gatewayRoutes({ nomad, consul, kvPrefix, apiToken, pduJob = "pdu", dutJob = "dut" }: GatewayDeps): Router {
  const router = Router();
  router.use("/gateway", requireApiToken(apiToken, "gateway routes"));

  const dispatch = async (req: Request, res: Response, job: string, meta: Record<string, string>) => {
    let id: string;
    try {
      id = (await nomad.jobs.dispatch(job, { meta })).DispatchedJobID;
    } catch (error) {
      if (!(error instanceof UpstreamError && error.status === 404)) throw error;
      return void res.status(503).json({ error: `Nomad has no job ${job}: register it with nomad job run hcl/${job}.hcl` });
    }
    req.log.info({ job: id, ...meta }, "gateway job dispatched");
    res.status(201).json({ job: id });
  };

  router.post("/gateway/pdus/:pdu/outlets/:n", express.json(), async (req, res) => {
    const n = outlet.safeParse(req.params.n);
    if (!n.success) return void res.status(400).json({ error: n.error.issues[0]?.message });
    const body = actionBody.safeParse(req.body);
    if (!body.success) return void res.status(400).json({ error: body.error.issues[0]?.message });
    const pdu = req.params.pdu;
    // Checked here so a typo answers at once instead of failing later inside a job.
    if (!(await known(res, () => readPduConfig(consul, kvPrefix, pdu)))) return;
    await dispatch(req, res, pduJob, { PDU: pdu, OUTLET: String(n.data), ACTION: body.data.action });
  });

  router.post("/gateway/duts/:dut/run", async (req, res) => {
    const dut = req.params.dut;
    if (!(await known(res, () => readDutConfig(consul, kvPrefix, dut)))) return;
    await dispatch(req, res, dutJob, { DUT: dut });
  });

  router.get("/gateway/pdus/:pdu", async (req, res) => {
    const pdu = req.params.pdu;
    const config = await known(res, () => readPduConfig(consul, kvPrefix, pdu));
    if (!config) return;
    try {
      const outlets = await runPduAction(createPdu(pdu, config), "status", undefined);
      res.json({ pdu, outlets: outlets.map(({ outlet, state }) => ({ outlet, state })) });
    } catch (error) {
      if (!(error instanceof PduError)) throw error;
      res.status(error.kind === "unreachable" ? 503 : 502).json({ error: error.message });
    }
  });
  return router;
}

/** A missing PDU or DUT is 404; one whose stored config is wrong is 409, naming the key and field. */
async function known<T>(res: Response, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof GatewayConfigError)) throw error;
    res.status(error.missing ? 404 : 409).json({ error: error.message });
    return undefined;
  }
}
