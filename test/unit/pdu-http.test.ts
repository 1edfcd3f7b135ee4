import { afterEach, describe, expect, it } from "vitest";
import { pduConfigSchema, type PduConfigInput } from "../../src/gateway/config.js";
import { createPdu } from "../../src/gateway/pdu/create-pdu.js";
import { serveShellyGen1, serveShellyGen2, serveTasmota, type SmartPlug } from "../support/smart-plugs.js";

const plugs: SmartPlug[] = [];
afterEach(async () => {
  for (const plug of plugs.splice(0)) await plug.close();
});

async function start(plug: Promise<SmartPlug>): Promise<SmartPlug> {
  plugs.push(await plug);
  return plugs.at(-1)!;
}

const pdu = (name: string, config: PduConfigInput) => createPdu(name, pduConfigSchema.parse({ minOffMs: 0, retryDelayMs: 5, ...config }));

describe("Tasmota", () => {
  it("switches a relay of a multi-relay device and reads it back", async () => {
    const plug = await start(serveTasmota(4));
    const tasmota = pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port, outlets: 4 });
    expect(await tasmota.on(2)).toEqual({ outlet: 2, state: "on", changed: true });
    expect(plug.relays).toEqual([false, true, false, false]);
    expect(plug.requests).toEqual(["/cm?cmnd=Power2", "/cm?cmnd=Power2+ON", "/cm?cmnd=Power2"]);
    expect(await tasmota.on(2)).toMatchObject({ changed: false });
    expect((await tasmota.off(2)).state).toBe("off");
  });

  it("reads a one-relay device's plain POWER key", async () => {
    const plug = await start(serveTasmota(1));
    expect((await pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port }).on(1)).state).toBe("on");
  });

  it("sends credentials and says when they are refused, without repeating them", async () => {
    const plug = await start(serveTasmota(1, "s3cret-pass"));
    const good = pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port, user: "admin", password: "s3cret-pass" });
    expect((await good.on(1)).state).toBe("on");
    const bad = pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port, user: "admin", password: "wrong-pass" });
    const error = await bad.status(1).catch((e: unknown) => e);
    expect(String(error)).toContain("refused the credentials (HTTP 401)");
    expect(String(error)).not.toContain("wrong-pass");
  });

  it("names an outlet beyond the configured count, and one the device lacks", async () => {
    const plug = await start(serveTasmota(2));
    await expect(pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port, outlets: 2 }).on(3)).rejects.toThrow("tas has no outlet 3 (it has outlets 1, 2)");
    await expect(pdu("tas", { driver: "tasmota", host: "127.0.0.1", port: plug.port, outlets: 4 }).on(3)).rejects.toThrow("tas has no outlet 3");
  });
});

describe("Shelly", () => {
  it("Gen1: relay N-1 through /relay/<id>?turn=", async () => {
    const plug = await start(serveShellyGen1(2));
    const shelly = pdu("sh1", { driver: "shelly", generation: 1, host: "127.0.0.1", port: plug.port, outlets: 2 });
    expect((await shelly.on(2)).state).toBe("on");
    expect(plug.relays).toEqual([false, true]);
    expect(plug.requests).toContain("/relay/1?turn=on");
    expect((await shelly.cycle(2)).state).toBe("on");
    expect(plug.requests.filter((r) => r.includes("turn="))).toEqual(["/relay/1?turn=on", "/relay/1?turn=off", "/relay/1?turn=on"]);
  });

  it("Gen2: Switch.Set and Switch.GetStatus", async () => {
    const plug = await start(serveShellyGen2(1));
    const shelly = pdu("sh2", { driver: "shelly", generation: 2, host: "127.0.0.1", port: plug.port });
    expect((await shelly.on(1)).state).toBe("on");
    expect(plug.requests).toEqual(["/rpc/Switch.GetStatus?id=0", "/rpc/Switch.Set?id=0&on=true", "/rpc/Switch.GetStatus?id=0"]);
    expect((await shelly.off(1)).state).toBe("off");
  });

  it("Gen2: answers the Digest challenge of a device with a password, and says when the password is wrong", async () => {
    const plug = await start(serveShellyGen2(1, "gen2-pass-c81e72"));
    const good = pdu("sh2", { driver: "shelly", generation: 2, host: "127.0.0.1", port: plug.port, password: "gen2-pass-c81e72" });
    expect((await good.on(1)).state).toBe("on");
    expect(plug.relays).toEqual([true]);
    const bad = pdu("sh2", { driver: "shelly", generation: 2, host: "127.0.0.1", port: plug.port, password: "not-it-9a1158" });
    const error = await bad.status(1).catch((e: unknown) => e);
    expect(String(error)).toContain("refused the credentials (HTTP 401)");
    expect(String(error)).not.toContain("not-it-9a1158");
  });

  it("names an outlet the device lacks (Gen1 404, Gen2 error -105)", async () => {
    const gen1 = await start(serveShellyGen1(1));
    const gen2 = await start(serveShellyGen2(1));
    await expect(pdu("sh1", { driver: "shelly", generation: 1, host: "127.0.0.1", port: gen1.port, outlets: 2 }).on(2)).rejects.toThrow("sh1 has no outlet 2");
    await expect(pdu("sh2", { driver: "shelly", generation: 2, host: "127.0.0.1", port: gen2.port, outlets: 2 }).on(2)).rejects.toThrow("sh2 has no outlet 2");
  });

  it("calls a plug that refuses connections unreachable, after its retries", async () => {
    const plug = await start(serveShellyGen1(1));
    await plug.close();
    plugs.length = 0;
    const shelly = pdu("sh1", { driver: "shelly", generation: 1, host: "127.0.0.1", port: plug.port, retries: 2 });
    await expect(shelly.status(1)).rejects.toThrow(/cannot reach the PDU at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});
