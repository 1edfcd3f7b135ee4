/** The parts of npm `net-snmp` Petrel uses; the package ships no types. */
declare module "net-snmp" {
  export type Varbind = { oid: string; type?: number; value: unknown };
  export type Session = {
    get(oids: string[], callback: (error: Error | null, varbinds: Varbind[]) => void): void;
    set(varbinds: Varbind[], callback: (error: Error | null, varbinds: Varbind[]) => void): void;
    subtree(oid: string, feed: (varbinds: Varbind[]) => void, done: (error: Error | null) => void): void;
    close(): void;
  };
  export const Version1: number;
  export const ObjectType: { Integer: number };
  export function createSession(target: string, community: string, options: { port?: number; version?: number; timeout?: number; retries?: number }): Session;
  export function isVarbindError(varbind: Varbind): boolean;
  export function varbindError(varbind: Varbind): string;
  const snmp: {
    Version1: typeof Version1;
    ObjectType: typeof ObjectType;
    createSession: typeof createSession;
    isVarbindError: typeof isVarbindError;
    varbindError: typeof varbindError;
  };
  export default snmp;
}
