import { PduError } from "./driver.js";
import { createSnmpDriver, type OutletTable, type SnmpSession, type SnmpTarget } from "./snmp.js";

const apc = "1.3.6.1.4.1.318.1.1";
const onOff = { 1: "on", 2: "off" } as const;

/** APC's three outlet tables, in the order Petrel asks for them. rPDU2 reports off(1)/on(2): reversed. */
export const apcTables: OutletTable[] = [
  { name: "sPDUOutletCtl", command: `${apc}.4.4.2.1.3`, status: `${apc}.4.4.2.1.3`, commands: { on: 1, off: 2 }, states: onOff },
  { name: "rPDU2", command: `${apc}.26.9.2.4.1.5`, status: `${apc}.26.9.2.3.1.5`, commands: { on: 1, off: 2 }, states: { 1: "off", 2: "on" } },
  { name: "rPDU", command: `${apc}.12.3.3.1.1.4`, status: `${apc}.12.3.3.1.1.4`, commands: { on: 1, off: 2 }, states: onOff },
];

/** An APC PDU; which of its tables it speaks is found by asking for each one's first row. */
export function createApcDriver(target: SnmpTarget) {
  return createSnmpDriver(target, async (session: SnmpSession) => {
    for (const table of apcTables) {
      const found = await session.walk(table.status).catch((error: unknown) => {
        if (error instanceof PduError) return [];
        throw error;
      });
      if (found.length > 0) return table;
    }
    throw new PduError(target.pdu, "answers none of APC's outlet tables (sPDUOutletCtl, rPDU2, rPDU)");
  });
}
