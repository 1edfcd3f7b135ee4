import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { consulKeys } from "../../src/consul/keys.js";
import { createRunDir } from "../cluster/run-dir.js";
import { startSnmpd, type RunningSnmpd } from "../cluster/snmpd.js";
import { finishedAllocation, readLog } from "../support/allocations.js";
import { clusterClients } from "../support/clients.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";

const { nomad, consul } = clusterClients();
const cluster = inject("cluster");
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const apiToken = "gateway-token-c4ca4238a0b92382";
const prefix = "petrel-test";
const run = createRunDir("petrel-gateway-http-");
let snmpd: RunningSnmpd;
let petrel: TestPetrel;

beforeAll(async () => {
  snmpd = await startSnmpd(run, "spdu", 4);
  await consul.kv.set(consulKeys.pdu(prefix, "lab-apc"), JSON.stringify({ driver: "apc", host: snmpd.host, port: snmpd.port, minOffMs: 0 }));
  await consul.kv.set(consulKeys.pdu(prefix, "lab-broken"), JSON.stringify({ driver: "apc", host: snmpd.host, port: 0 }));
  // The job keeps its default constraint: the test cluster's client is of node class gateway.
  const job = await nomad.jobs.parse(readFileSync(repoFile("hcl/pdu.hcl"), "utf8"), {
    command: repoFile("node_modules/.bin/tsx"),
    args: [repoFile("src/cli.ts")],
    consul_addr: cluster.consulAddr.replace("http://", ""),
    kv_prefix: prefix,
  });
  await nomad.jobs.register(job);
  petrel = await startPetrel({ PETREL_API_TOKEN: apiToken });
});

afterAll(async () => {
  await petrel?.stop();
  await snmpd?.stop();
  expect(await run.remove()).toEqual([]);
});

const call = async (method: "GET" | "POST", path: string, body?: unknown, token: string | null = apiToken) => {
  const response = await fetch(`${petrel.url}${path}`, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("gateway routes of petrel serve", () => {
  it("dispatches the pdu job, which switches the outlet on the real snmpd; GET reads the outlets back", async () => {
    const dispatched = await call("POST", "/gateway/pdus/lab-apc/outlets/2", { action: "on" });
    expect(dispatched.status).toBe(201);
    const job = dispatched.body.job as string;
    expect(job).toMatch(/^pdu\/dispatch-\d+-[0-9a-f]{8}$/);
    expect((await nomad.jobs.get(job)).Meta).toEqual({ PDU: "lab-apc", OUTLET: "2", ACTION: "on" });

    const alloc = await finishedAllocation(nomad, job);
    expect({ status: alloc.ClientStatus, stdout: await readLog(nomad, alloc.ID, "stdout", "pdu") }).toEqual({
      status: "complete",
      stdout: `${JSON.stringify({ pdu: "lab-apc", action: "on", outlet: 2, state: "on", changed: true })}\n`,
    });

    expect(await call("GET", "/gateway/pdus/lab-apc")).toEqual({
      status: 200,
      body: { pdu: "lab-apc", outlets: [{ outlet: 1, state: "off" }, { outlet: 2, state: "on" }, { outlet: 3, state: "off" }, { outlet: 4, state: "off" }] },
    });
  });

  it("refuses without the bearer token, or with another", async () => {
    expect(await call("GET", "/gateway/pdus/lab-apc", undefined, null)).toEqual({ status: 401, body: { error: "missing Authorization: Bearer <PETREL_API_TOKEN>" } });
    expect((await call("POST", "/gateway/pdus/lab-apc/outlets/1", { action: "on" }, "not-the-token-at-all")).status).toBe(401);
  });

  it("answers 4xx JSON naming what is wrong", async () => {
    expect(await call("POST", "/gateway/pdus/lab-apc/outlets/0", { action: "on" })).toEqual({ status: 400, body: { error: "outlet: expected a number from 1" } });
    expect(await call("POST", "/gateway/pdus/lab-apc/outlets/x", { action: "on" })).toMatchObject({ status: 400 });
    expect(await call("POST", "/gateway/pdus/lab-apc/outlets/1", { action: "toggle" })).toEqual({ status: 400, body: { error: "action: expected one of on, off, cycle, status" } });
    expect(await call("POST", "/gateway/pdus/lab-apc/outlets/1", "{not json")).toMatchObject({ status: 400 });
    expect(await call("POST", "/gateway/pdus/nowhere/outlets/1", { action: "on" })).toEqual({ status: 404, body: { error: `${prefix}/pdus/nowhere: no PDU config in Consul KV` } });
    expect(await call("GET", "/gateway/pdus/lab-broken")).toEqual({ status: 409, body: { error: `${prefix}/pdus/lab-broken: port: Too small: expected number to be >=1` } });
  });
});
