import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { PduConfigInput } from "../../src/gateway/config.js";
import { consulKeys } from "../../src/consul/keys.js";
import { freePorts } from "../cluster/ports.js";
import { createRunDir } from "../cluster/run-dir.js";
import { startSnmpd, type RunningSnmpd } from "../cluster/snmpd.js";
import { clusterClients } from "../support/clients.js";

const { nomad, consul, config } = clusterClients();
const cluster = inject("cluster");
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const run = createRunDir("petrel-pdu-cli-");
let snmpd: RunningSnmpd;

beforeAll(async () => {
  snmpd = await startSnmpd(run, "rpdu2");
  await putPdu("apc-e2e", { driver: "apc", host: snmpd.host, port: snmpd.port, minOffMs: 0 });
});

afterAll(async () => {
  await snmpd.stop();
  expect(await run.remove()).toEqual([]);
});

async function putPdu(name: string, pdu: PduConfigInput | string): Promise<void> {
  await consul.kv.set(consulKeys.pdu(config.kvPrefix, name), typeof pdu === "string" ? pdu : JSON.stringify(pdu));
}

function petrel(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", repoFile("src/cli.ts"), "pdu", ...args], {
      env: { PATH: process.env.PATH, CONSUL_HTTP_ADDR: cluster.consulAddr, PETREL_KV_PREFIX: config.kvPrefix, ...env },
      timeout: 60_000,
    }, (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }));
  });
}

const lines = (stdout: string) => stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown);

describe("petrel pdu with its config in Consul and a real snmpd", () => {
  it("switches an outlet on, cycles it, reads it and switches it off", async () => {
    expect(lines((await petrel(["--pdu", "apc-e2e", "--outlet", "3", "--action", "on"])).stdout))
      .toEqual([{ pdu: "apc-e2e", action: "on", outlet: 3, state: "on", changed: true }]);
    expect(lines((await petrel(["--pdu", "apc-e2e", "--outlet", "3", "--action", "cycle"])).stdout))
      .toEqual([{ pdu: "apc-e2e", action: "cycle", outlet: 3, state: "on", changed: true }]);
    expect(lines((await petrel(["--pdu", "apc-e2e", "--outlet", "3", "--action", "status"])).stdout))
      .toEqual([{ pdu: "apc-e2e", action: "status", outlet: 3, state: "on", changed: false }]);
    const all = await petrel(["--pdu", "apc-e2e", "--action", "status"]);
    expect(lines(all.stdout).map((line) => (line as { state: string }).state)).toEqual(["off", "off", "on", "off", "off", "off", "off", "off"]);
    const off = await petrel(["--pdu", "apc-e2e", "--outlet", "3", "--action", "off"]);
    expect({ status: off.status, stdout: lines(off.stdout) }).toEqual({ status: 0, stdout: [{ pdu: "apc-e2e", action: "off", outlet: 3, state: "off", changed: true }] });
  });

  it("holds an outlet off for the minimum time across separate runs, through Consul", async () => {
    await putPdu("apc-hold", { driver: "apc", host: snmpd.host, port: snmpd.port, minOffMs: 6_000 });
    const offKey = `${config.kvPrefix}/pdu-off/apc-hold/6`;
    await petrel(["--pdu", "apc-hold", "--outlet", "6", "--action", "on"]);
    expect((await petrel(["--pdu", "apc-hold", "--outlet", "6", "--action", "off"])).status).toBe(0);
    expect(Number((await consul.kv.get(offKey))?.Value)).toBeGreaterThan(Date.now() - 60_000);
    const on = await petrel(["--pdu", "apc-hold", "--outlet", "6", "--action", "on"]);
    expect(on.stderr).toMatch(/^petrel pdu: holding apc-hold outlet 6 off for [1-6] s more\n$/);
    expect(lines(on.stdout)).toEqual([{ pdu: "apc-hold", action: "on", outlet: 6, state: "on", changed: true }]);
    expect(await consul.kv.get(offKey)).toBeFalsy();
    await petrel(["--pdu", "apc-hold", "--outlet", "6", "--action", "off"]);
  });

  it("exits 1 with the PDU's error for an unknown outlet and a wrong community, never printing the community", async () => {
    const unknown = await petrel(["--pdu", "apc-e2e", "--outlet", "12", "--action", "on"]);
    expect({ status: unknown.status, stderr: unknown.stderr }).toEqual({ status: 1, stderr: "petrel pdu: apc-e2e has no outlet 12\n" });

    await putPdu("apc-wrong", { driver: "apc", host: snmpd.host, port: snmpd.port, community: "guessed-community", timeoutMs: 200, retries: 1 });
    const wrong = await petrel(["--pdu", "apc-wrong", "--outlet", "1", "--action", "status"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^petrel pdu: no SNMP answer from 127\.0\.0\.1:\d+ .* does not accept the community\)\n$/);
    expect(wrong.stderr + wrong.stdout).not.toContain("guessed-community");
  });

  it("exits 2 naming the key and field of a missing or bad config, and a bad flag", async () => {
    const missing = await petrel(["--pdu", "nowhere", "--outlet", "1", "--action", "on"]);
    expect({ status: missing.status, stderr: missing.stderr }).toEqual({ status: 2, stderr: `petrel pdu: invalid gateway config: ${config.kvPrefix}/pdus/nowhere: no PDU config in Consul KV\n` });

    await putPdu("apc-bad", JSON.stringify({ driver: "apc", host: snmpd.host, port: "161" }));
    const bad = await petrel(["--pdu", "apc-bad", "--outlet", "1", "--action", "on"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^petrel pdu: invalid gateway config: ${config.kvPrefix}/pdus/apc-bad: port: `));

    const action = await petrel(["--pdu", "apc-e2e", "--outlet", "1", "--action", "toggle"]);
    expect(action.status).toBe(2);
    expect(action.stderr).toContain("Allowed choices are on, off, cycle, status");
    const outlet = await petrel(["--pdu", "apc-e2e", "--outlet", "x", "--action", "on"]);
    expect({ status: outlet.status, stderr: outlet.stderr }).toMatchObject({ status: 2, stderr: expect.stringContaining("expected an outlet number from 1") as string });
    const noOutlet = await petrel(["--pdu", "apc-e2e", "--action", "off"]);
    expect({ status: noOutlet.status, stderr: noOutlet.stderr }).toEqual({ status: 2, stderr: "petrel pdu: --action off needs --outlet\n" });
  });

  it("exits 69 when Consul is not there", async () => {
    const [port] = await freePorts(1);
    const result = await petrel(["--pdu", "apc-e2e", "--outlet", "1", "--action", "status"], { CONSUL_HTTP_ADDR: `127.0.0.1:${port}` });
    expect(result.status).toBe(69);
    expect(result.stderr).toMatch(/^petrel pdu: Consul is unreachable: ECONNREFUSED/);
  });
});

describe("hcl/pdu.hcl on the real Nomad", () => {
  const hcl = readFileSync(repoFile("hcl/pdu.hcl"), "utf8");
  type Parsed = { Type: string; ParameterizedJob?: { MetaRequired: string[] }; Constraints?: { LTarget: string; RTarget: string; Operand: string }[] };
  const parse = async (variables: Record<string, string>) => {
    const job = await nomad.jobs.parse(hcl, variables);
    return job as unknown as Parsed & typeof job;
  };

  it("is a parameterized batch job pinned to the gateway class, running petrel pdu from its meta", async () => {
    const job = await parse({});
    expect(job.Type).toBe("batch");
    expect(job.ParameterizedJob?.MetaRequired).toEqual(["PDU", "OUTLET", "ACTION"]);
    expect(job.Constraints).toEqual([expect.objectContaining({ LTarget: "${node.class}", RTarget: "gateway", Operand: "=" })]);
    expect(job.TaskGroups?.[0]?.Tasks[0]?.Config).toEqual({
      command: "petrel",
      args: ["pdu", "--pdu", "${NOMAD_META_PDU}", "--outlet", "${NOMAD_META_OUTLET}", "--action", "${NOMAD_META_ACTION}"],
    });
  });

  it("takes another node class and refuses a driver without access to the gateway", async () => {
    const job = await parse({ node_class: "lab-gw" });
    expect(job.Constraints?.[0]?.RTarget).toBe("lab-gw");
    await expect(nomad.jobs.parse(hcl, { driver: "docker" })).rejects.toThrow("The driver must be exec or raw_exec.");
  });
});
