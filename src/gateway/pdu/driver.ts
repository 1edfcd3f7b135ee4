/** What every PDU driver can do; the common rules (read-back, retries, off time) live in switch-outlet.ts. */
export type OutletState = "on" | "off";

export type PduDriver = {
  outlets(): Promise<number[]>;
  read(outlet: number): Promise<OutletState>;
  write(outlet: number, state: OutletState): Promise<void>;
  close(): void;
};

/** A PDU that answered, but not as hoped: unknown outlet, refused write, SNMP error status. */
export class PduError extends Error {
  constructor(
    readonly pdu: string,
    message: string,
  ) {
    super(`PDU ${pdu}: ${message}`);
    this.name = "PduError";
  }
}
