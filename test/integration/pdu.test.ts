import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { consulCall } from "../../src/consul/client.js";
import { createApcDriver } from "../../src/gateway/pdu/apc.js";
import { PduError } from "../../src/gateway/pdu/driver.js";
import { switchOutlet } from "../../src/gateway/pdu/switch-outlet.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { sPduOutletCtl, startSnmpd, type RunningSnmpd } from "../cluster/snmpd.js";
import { clusterClients } from "../support/clients.js";

/** The APC driver against net-snmp's real snmpd, holding an sPDUOutletCtl table. */
const { consul, nomad } = clusterClients();
let run: RunDir;
let snmpd: RunningSnmpd;

beforeAll(async () => {
  run = createRunDir("petrel-pdu-");
  snmpd = await startSnmpd(run, { outlets: 8 });
});
afterAll(async () => {
  await snmpd?.stop();
  await run?.remove();
});

const driver = (community = "private", timeoutMs = 1000) => createApcDriver({ pdu: "apc1", host: "127.0.0.1", port: snmpd.port, community, timeoutMs });
const options = { pdu: "apc1", minOffMs: 300, retries: 1 };
/** What snmpd itself holds for an outlet, asked with net-snmp's own CLI. */
const held = (outlet: number) =>
  execFileSync("snmpget", ["-v1", "-c", "public", "-Oqv", `127.0.0.1:${snmpd.port}`, `.${sPduOutletCtl}.${outlet}`], { encoding: "utf8" }).trim();

describe("the APC driver over SNMP v1", () => {
  it("finds the outlets and switches one, read back, skipping a change that is none", async () => {
    const pdu = driver();
    try {
      expect(await pdu.outlets()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await switchOutlet(pdu, 2, "on", options)).toEqual({ outlet: 2, before: "off", after: "on", changed: true });
      expect(held(2)).toBe("1");
      expect(await switchOutlet(pdu, 2, "on", options)).toEqual({ outlet: 2, before: "on", after: "on", changed: false });
      expect(await switchOutlet(pdu, 2, "off", options)).toMatchObject({ after: "off", changed: true });
      expect(held(2)).toBe("2");
    } finally {
      pdu.close();
    }
  });

  it("keeps an outlet off for the minimum off time in a cycle", async () => {
    const pdu = driver();
    const slept: number[] = [];
    try {
      await switchOutlet(pdu, 4, "on", options);
      const result = await switchOutlet(pdu, 4, "cycle", { ...options, sleep: (ms) => (slept.push(ms), new Promise((resolve) => setTimeout(resolve, ms))) });
      expect(result).toEqual({ outlet: 4, before: "on", after: "on", changed: true });
      expect(slept).toEqual([300]);
      expect(held(4)).toBe("1");
    } finally {
      pdu.close();
    }
  });

  it("names an unknown outlet, a community that may not write, and one the PDU ignores", async () => {
    const pdu = driver();
    await expect(switchOutlet(pdu, 99, "on", options)).rejects.toThrow(PduError);
    await expect(switchOutlet(pdu, 99, "on", options)).rejects.toThrow("no outlet 99");
    pdu.close();
    const readOnly = driver("public");
    await expect(switchOutlet(readOnly, 3, "on", options)).rejects.toThrow(/outlet 3 .*community may not write/);
    readOnly.close();
    const stranger = driver("no-such-community", 300);
    await expect(switchOutlet(stranger, 3, "status", { ...options, retries: 0 })).rejects.toThrow(/did not answer within 300 ms \(unreachable, or wrong community\)/);
    stranger.close();
    expect(held(3)).toBe("2");
  });
});

describe("petrel pdu", () => {
  const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
  const petrel = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", cli, "pdu", ...args], {
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: process.env.PATH, CONSUL_HTTP_ADDR: inject("cluster").consulAddr, PETREL_KV_PREFIX: "petrel-test" },
    });

  it("switches an outlet of a PDU configured in Consul KV", async () => {
    await consulCall("put", () => consul.kv.set("petrel-test/pdus/apc1", JSON.stringify({ driver: "apc", host: "127.0.0.1", port: snmpd.port, minOffSeconds: 0 })));
    const on = petrel("--pdu", "apc1", "--outlet", "6", "--action", "on");
    expect([on.status, on.stdout, on.stderr]).toEqual([0, "apc1 outlet 6: off → on\n", ""]);
    expect(held(6)).toBe("1");
    expect(petrel("--pdu", "apc1", "--outlet", "6", "--action", "status").stdout).toBe("apc1 outlet 6: on (unchanged)\n");
  });

  it.each([
    [["--pdu", "nope", "--outlet", "1", "--action", "on"], 1, "no PDU 'nope'"],
    [["--pdu", "apc1", "--outlet", "x", "--action", "on"], 2, "--outlet"],
    [["--pdu", "apc1", "--outlet", "1", "--action", "explode"], 2, "--action"],
    [["--pdu", "apc1", "--outlet", "42", "--action", "on"], 1, "no outlet 42"],
  ])("refuses %j with a message", (args, status, message) => {
    const result = petrel(...args);
    expect(result.status).toBe(status);
    expect(result.stderr).toContain(message);
  });

  it("names the field of a bad PDU config", async () => {
    await consulCall("put", () => consul.kv.set("petrel-test/pdus/broken", JSON.stringify({ driver: "apc", port: 161 })));
    const result = petrel("--pdu", "broken", "--outlet", "1", "--action", "on");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("host");
  });

  it("ships a pdu job that Nomad accepts, pinned to the gateway", async () => {
    const job = await nomad.jobs.parse(readFileSync(fileURLToPath(new URL("../../hcl/pdu.hcl", import.meta.url)), "utf8"));
    expect(job.ID).toBe("pdu");
    expect(job).toMatchObject({ ParameterizedJob: { MetaRequired: ["PDU", "OUTLET", "ACTION"] }, Constraints: [{ LTarget: "${node.class}", RTarget: "gateway" }] });
  });
});
