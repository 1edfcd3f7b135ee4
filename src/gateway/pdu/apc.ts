import { PduError, type PduDriver } from "./driver.js";
import type { Snmp } from "./snmp.js";
import { createSnmpTableDriver, type SnmpTable } from "./snmp-table.js";

const apc = "1.3.6.1.4.1.318.1.1";

/** PowerNet-MIB's three outlet tables, newest first: an rPDU2 also answers the older ones on some firmware. */
export const apcTables: readonly SnmpTable[] = [
  {
    name: "rPDU2OutletSwitched",
    control: `${apc}.26.9.2.4.1.5`,
    status: `${apc}.26.9.2.3.1.5`,
    command: { on: 1, off: 2 },
    // rPDU2OutletSwitchedStatusState is off(1)/on(2), the reverse of its command column.
    state: { on: 2, off: 1 },
  },
  { name: "rPDUOutletControl", control: `${apc}.12.3.3.1.1.4`, command: { on: 1, off: 2 } },
  { name: "sPDUOutletCtl", control: `${apc}.4.4.2.1.3`, command: { on: 1, off: 2 } },
];

export const cyberpowerTable: SnmpTable = {
  name: "ePDUOutletControlOutletCommand",
  control: "1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4",
  command: { on: 1, off: 2 },
};

/** An APC PDU through whichever of the three tables answers for outlet 1, found on first use. */
export function createApcDriver(pdu: string, snmp: Snmp): PduDriver {
  let found: Promise<PduDriver> | undefined;
  const detect = async () => {
    for (const table of apcTables) {
      if ((await snmp.get(`${table.status ?? table.control}.1`)) !== null) return createSnmpTableDriver(pdu, snmp, table);
    }
    throw new PduError("protocol", `${pdu} answers none of APC's outlet tables (${apcTables.map((t) => t.name).join(", ")}): is it an APC switched PDU?`);
  };
  const driver = () => {
    found ??= detect().catch((error: unknown) => {
      found = undefined;
      throw error;
    });
    return found;
  };
  return {
    outlets: async () => (await driver()).outlets(),
    read: async (outlet) => (await driver()).read(outlet),
    write: async (outlet, state) => (await driver()).write(outlet, state),
  };
}
