import snmp, { type Session, type Varbind } from "net-snmp";
import { PduError, type OutletState, type PduDriver } from "./driver.js";

/** One outlet table: where commands go, where state is read, and what the numbers mean there. */
export type OutletTable = {
  name: string;
  command: string;
  status: string;
  commands: Record<OutletState, number>;
  states: Record<number, OutletState>;
};

export type SnmpTarget = { pdu: string; host: string; port: number; community: string; timeoutMs: number };

/** An SNMP v1 PDU driven through one outlet table (see apc.ts, cyberpower.ts). */
export function createSnmpDriver(target: SnmpTarget, pickTable: (session: SnmpSession) => Promise<OutletTable>): PduDriver {
  const session = openSession(target);
  let table: Promise<OutletTable> | undefined;
  const tableOf = () => (table ??= pickTable(session));
  return {
    async outlets() {
      const { status } = await tableOf();
      const rows = await session.walk(status);
      return rows.map((row) => Number(row.oid.slice(status.length + 1))).filter((n) => Number.isInteger(n) && n > 0);
    },
    async read(outlet) {
      const current = await tableOf();
      const [row] = await session.get([`${current.status}.${outlet}`], outlet);
      const state = current.states[Number(row!.value)];
      if (!state) throw new PduError(target.pdu, `outlet ${outlet} reports state ${String(row!.value)}, which the ${current.name} table does not define`);
      return state;
    },
    async write(outlet, state) {
      const current = await tableOf();
      await session.set(`${current.command}.${outlet}`, current.commands[state], outlet);
    },
    close: () => session.close(),
  };
}

export type SnmpSession = ReturnType<typeof openSession>;

function openSession(target: SnmpTarget) {
  const session: Session = snmp.createSession(target.host, target.community, { port: target.port, version: snmp.Version1, timeout: target.timeoutMs, retries: 0 });
  const fail = (error: Error, outlet?: number): Error => {
    const text = error.message;
    // SNMP v1 answers an unknown OID, and a write with the wrong community, with noSuchName.
    if (/NoSuchName/i.test(text)) return new PduError(target.pdu, outlet === undefined ? "no such object" : `no outlet ${outlet} (noSuchName; or the community may not write)`);
    if (/timed? ?out/i.test(text)) return new Error(`PDU ${target.pdu} at ${target.host}:${target.port} did not answer within ${target.timeoutMs} ms (unreachable, or wrong community)`);
    return new PduError(target.pdu, `SNMP error: ${text}`);
  };
  const checked = (varbinds: Varbind[], outlet?: number): Varbind[] => {
    const bad = varbinds.find((varbind) => snmp.isVarbindError(varbind));
    if (bad) throw fail(new Error(snmp.varbindError(bad)), outlet);
    return varbinds;
  };
  return {
    get: (oids: string[], outlet?: number) =>
      new Promise<Varbind[]>((resolve, reject) => session.get(oids, (error, varbinds) => (error ? reject(fail(error, outlet)) : resolve(checked(varbinds, outlet))))),
    set: (oid: string, value: number, outlet?: number) =>
      new Promise<void>((resolve, reject) =>
        session.set([{ oid, type: snmp.ObjectType.Integer, value }], (error, varbinds) => (error ? reject(fail(error, outlet)) : (checked(varbinds, outlet), resolve()))),
      ),
    walk: (oid: string) =>
      new Promise<Varbind[]>((resolve, reject) => {
        const rows: Varbind[] = [];
        // net-snmp stops a walk when the feed callback returns something truthy: this one returns nothing.
        const feed = (varbinds: Varbind[]) => {
          rows.push(...checked(varbinds));
        };
        session.subtree(oid, feed, (error) => (error ? reject(fail(error)) : resolve(rows)));
      }),
    close: () => session.close(),
  };
}
