import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PduConfig } from "../config.js";
import { createApcDriver, cyberpowerTable } from "./apc.js";
import { createPduControl, type OffClock, type PduControl } from "./control.js";
import type { PduDriver } from "./driver.js";
import { createShellDriver } from "./shell.js";
import { createShellyDriver } from "./shelly.js";
import { createSnmp } from "./snmp.js";
import { createSnmpTableDriver } from "./snmp-table.js";
import { createTasmotaDriver } from "./tasmota.js";
import { createVirtualDriver } from "./virtual.js";

/** The driver a PDU's config names, wrapped in the behaviour all drivers share. */
export function createPdu(pdu: string, config: PduConfig, options: { holdOff?: (ms: number) => Promise<unknown>; offSince?: OffClock } = {}): PduControl {
  // APC's detection is up to three requests, a switch a write and a read back.
  return createPduControl(createDriver(pdu, config), { pdu, ...config, callTimeoutMs: config.timeoutMs * 4, ...options });
}

export function createDriver(pdu: string, config: PduConfig): PduDriver {
  switch (config.driver) {
    case "apc":
      return createApcDriver(pdu, createSnmp(config));
    case "cyberpower":
      return createSnmpTableDriver(pdu, createSnmp(config), cyberpowerTable);
    case "snmp":
      return createSnmpTableDriver(pdu, createSnmp(config), {
        name: "the configured table",
        control: config.control,
        command: config.command,
        ...(config.status === undefined ? {} : { status: config.status }),
        ...(config.state === undefined ? {} : { state: config.state }),
      });
    case "tasmota":
      return createTasmotaDriver(pdu, { ...config, base: httpBase(config) });
    case "shelly":
      return createShellyDriver(pdu, { ...config, base: httpBase(config) });
    case "shell":
      return createShellDriver(pdu, config);
    case "virtual":
      return createVirtualDriver(pdu, { ...config, stateDir: config.stateDir ?? join(tmpdir(), `petrel-virtual-pdu-${pdu}`) });
  }
}

function httpBase({ host, port }: { host: string; port: number }): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
