import snmp from "net-snmp";
import { PduError } from "./driver.js";

export type SnmpTarget = { host: string; port: number; community: string; timeoutMs: number };

/** One SNMP v1 conversation with a PDU; null stands for "no such OID" (v1's noSuchName). */
export type Snmp = {
  get(oid: string): Promise<number | null>;
  set(oid: string, value: number): Promise<void>;
  /** The integer rows under a table column, by their last OID component. */
  column(oid: string): Promise<Map<number, number>>;
};

/**
 * net-snmp with its own retries off: control.ts retries every driver alike.
 * The community is a password on the wire and never appears in an error.
 */
export function createSnmp(target: SnmpTarget): Snmp {
  const where = `${target.host}:${target.port}`;
  const call = <T>(what: string, run: (session: snmp.Session, done: (error: Error | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const session = snmp.createSession(target.host, target.community, {
        port: target.port,
        version: snmp.Version1,
        retries: 0,
        timeout: target.timeoutMs,
      });
      // A socket error and the request's own callback can both come; the socket closes once.
      let open = true;
      const close = () => {
        if (open) session.close();
        open = false;
      };
      session.on("error", (error: Error) => {
        close();
        reject(unreachable(where, error));
      });
      run(session, (error, value) => {
        close();
        if (error) reject(toPduError(where, what, error));
        else resolve(value as T);
      });
    });

  return {
    get: (oid) =>
      call<number | null>(`GET ${oid}`, (session, done) =>
        session.get([oid], (error, varbinds) => {
          if (error) return isNoSuchName(error) ? done(null, null) : done(error);
          const varbind = varbinds?.[0];
          if (!varbind || snmp.isVarbindError(varbind)) return done(null, null);
          done(null, Number(varbind.value));
        }),
      ),
    set: (oid, value) =>
      call<void>(`SET ${oid}`, (session, done) =>
        session.set([{ oid, type: snmp.ObjectType.Integer, value }], (error) => done(error)),
      ),
    column: (oid) =>
      call<Map<number, number>>(`walk ${oid}`, (session, done) => {
        const rows = new Map<number, number>();
        session.subtree(
          oid,
          (varbinds) => {
            for (const varbind of varbinds) {
              if (!snmp.isVarbindError(varbind)) rows.set(Number(varbind.oid.split(".").at(-1)), Number(varbind.value));
            }
          },
          (error) => (error && !isNoSuchName(error) ? done(error) : done(null, rows)),
        );
      }),
  };
}

function isNoSuchName(error: Error): boolean {
  return error instanceof snmp.RequestFailedError && error.status === snmp.ErrorStatus.NoSuchName;
}

function toPduError(where: string, what: string, error: Error): PduError {
  if (error.name === "RequestTimedOutError") {
    // v1 agents drop requests with an unknown community instead of answering.
    return new PduError("unreachable", `no SNMP answer from ${where} to ${what} (PDU unreachable, or it does not accept the community)`, { cause: error });
  }
  if (error instanceof snmp.RequestFailedError) {
    const status = snmp.ErrorStatus[error.status] ?? String(error.status);
    const hint = error.status === snmp.ErrorStatus.NoSuchName && what.startsWith("SET")
      ? " (a v1 agent answers this to a read-only community: is the community the read-write one?)"
      : "";
    return new PduError("refused", `SNMP ${what} on ${where} failed with error status ${status}${hint}`, { cause: error });
  }
  return unreachable(where, error);
}

function unreachable(where: string, error: Error): PduError {
  return new PduError("unreachable", `cannot reach the PDU at ${where}: ${error.message}`, { cause: error });
}
