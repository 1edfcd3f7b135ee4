import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pduConfigSchema, type PduConfigInput } from "../../src/gateway/config.js";
import { createPdu } from "../../src/gateway/pdu/create-pdu.js";
import { createSnmp } from "../../src/gateway/pdu/snmp.js";
import { freePorts } from "../cluster/ports.js";
import { createRunDir } from "../cluster/run-dir.js";
import { startSnmpd, type RunningSnmpd, type SnmpTableKind } from "../cluster/snmpd.js";

const run = createRunDir("petrel-pdu-");
const agents = new Map<SnmpTableKind, RunningSnmpd>();

beforeAll(async () => {
  for (const kind of ["spdu", "rpdu", "rpdu2", "cyberpower"] as const) agents.set(kind, await startSnmpd(run, kind));
});

afterAll(async () => {
  for (const agent of agents.values()) await agent.stop();
  expect(await run.remove()).toEqual([]);
});

const pdu = (kind: SnmpTableKind, extra: Partial<PduConfigInput> = {}, options: { holdOff?: (ms: number) => Promise<unknown> } = {}) => {
  const agent = agents.get(kind)!;
  const driver = kind === "cyberpower" ? "cyberpower" : "apc";
  const config = pduConfigSchema.parse({ driver, host: agent.host, port: agent.port, minOffMs: 0, retryDelayMs: 10, ...extra });
  return createPdu(`pdu-${kind}`, config, options);
};

describe("APC and CyberPower drivers against a real snmpd", () => {
  it.each(["spdu", "rpdu", "rpdu2"] as const)("finds the %s table by itself, switches an outlet and reads it back", async (kind) => {
    const apc = pdu(kind);
    expect(await apc.outlets()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await apc.on(3)).toEqual({ outlet: 3, state: "on", changed: true });
    expect(await apc.status(3)).toEqual({ outlet: 3, state: "on", changed: false });
    expect((await apc.status(2)).state).toBe("off");
    expect(await apc.off(3)).toEqual({ outlet: 3, state: "off", changed: true });
    expect((await apc.status(3)).state).toBe("off");
  });

  it("reads rPDU2's reversed status column: on is 2 there, 1 in the command column", async () => {
    const agent = agents.get("rpdu2")!;
    await pdu("rpdu2").on(5);
    const snmp = createSnmp({ host: agent.host, port: agent.port, community: "private", timeoutMs: 1000 });
    expect(await snmp.get("1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.5")).toBe(2);
    expect(await snmp.get("1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.5")).toBe(1);
    expect((await pdu("rpdu2").off(5)).state).toBe("off");
    expect(await snmp.get("1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.5")).toBe(1);
  });

  it("switches a CyberPower outlet", async () => {
    const cyberpower = pdu("cyberpower");
    expect((await cyberpower.on(1)).state).toBe("on");
    expect((await cyberpower.cycle(1)).state).toBe("on");
    expect((await cyberpower.off(1)).state).toBe("off");
  });

  it("drives any table through the generic snmp driver's OIDs and value maps", async () => {
    const agent = agents.get("rpdu2")!;
    const config = (state: { on: number; off: number }) => pduConfigSchema.parse({
      driver: "snmp", host: agent.host, port: agent.port, minOffMs: 0,
      control: ".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5", status: "1.3.6.1.4.1.318.1.1.26.9.2.3.1.5", state,
    });
    const generic = createPdu("generic", config({ on: 2, off: 1 }));
    expect((await generic.on(8)).state).toBe("on");
    expect((await pdu("rpdu2").status(8)).state).toBe("on");
    expect((await generic.off(8)).state).toBe("off");
    const wrongMap = createPdu("generic", config({ on: 5, off: 6 }));
    await expect(wrongMap.status(8)).rejects.toThrow("generic reports outlet 8 in state 1 of the configured table, neither on (5) nor off (6)");
  });

  it("skips a change that is already true", async () => {
    const apc = pdu("rpdu");
    expect(await apc.off(7)).toEqual({ outlet: 7, state: "off", changed: false });
    await apc.on(7);
    expect(await apc.on(7)).toEqual({ outlet: 7, state: "on", changed: false });
    await apc.off(7);
  });

  it("holds an outlet off for the minimum time before switching it back on", async () => {
    const waits: number[] = [];
    const apc = pdu("spdu", { minOffMs: 30_000 }, { holdOff: (ms) => Promise.resolve(waits.push(ms)) });
    await apc.on(4);
    expect((await apc.cycle(4)).state).toBe("on");
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(29_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
    await apc.off(4);
  });

  it("names an unknown outlet", async () => {
    await expect(pdu("rpdu2").on(9)).rejects.toThrow("pdu-rpdu2 has no outlet 9");
    await expect(pdu("cyberpower").status(0)).rejects.toThrow("pdu-cyberpower has no outlet 0");
  });

  it("says the community may be wrong when the agent does not answer it", async () => {
    const started = Date.now();
    await expect(pdu("rpdu2", { community: "not-the-community", timeoutMs: 300, retries: 1 }).status(1))
      .rejects.toThrow(/no SNMP answer from 127\.0\.0\.1:\d+ .*does not accept the community/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports the SNMP error status when a read-only community tries to switch", async () => {
    const error = await pdu("spdu", { community: "public" }).on(2).catch((e: unknown) => e);
    expect(String(error)).toMatch(/SET 1\.3\.6\.1\.4\.1\.318\.1\.1\.4\.4\.2\.1\.3\.2 .* error status NoSuchName .*read-write/);
    expect(String(error)).not.toContain("public");
  });

  it("calls a PDU that does not answer unreachable", async () => {
    const [port] = await freePorts(1);
    const config = pduConfigSchema.parse({ driver: "apc", host: "127.0.0.1", port, timeoutMs: 200, retries: 0 });
    await expect(createPdu("gone", config).status(1)).rejects.toMatchObject({ kind: "unreachable" });
  });
});
