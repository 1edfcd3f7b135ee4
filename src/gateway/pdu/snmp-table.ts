import { PduError, unknownOutlet, type OutletState, type PduDriver } from "./driver.js";
import type { Snmp } from "./snmp.js";

/** An outlet table: the column written to switch outlet N (`<control>.N`), the column read for its state, and their values. */
export type SnmpTable = {
  name: string;
  control: string;
  /** Defaults to the control column, which most PDUs answer with the current state. */
  status?: string;
  command: Readonly<Record<OutletState, number>>;
  /** Defaults to `command`; APC's rPDU2 status column is the other way round. */
  state?: Readonly<Record<OutletState, number>>;
};

export function createSnmpTableDriver(pdu: string, snmp: Snmp, table: SnmpTable): PduDriver {
  const statusColumn = table.status ?? table.control;
  const state = table.state ?? table.command;
  return {
    async outlets() {
      return [...(await snmp.column(statusColumn)).keys()];
    },
    async read(outlet) {
      const value = await snmp.get(`${statusColumn}.${outlet}`);
      if (value === null) throw unknownOutlet(pdu, outlet);
      if (value === state.on) return "on";
      if (value === state.off) return "off";
      throw new PduError("protocol", `${pdu} reports outlet ${outlet} in state ${value} of ${table.name}, neither on (${state.on}) nor off (${state.off})`);
    },
    async write(outlet, wanted) {
      await snmp.set(`${table.control}.${outlet}`, table.command[wanted]);
    },
  };
}
