/** What every PDU driver can do; the behaviour common to all (read back, no-op skip, minimum off time, retries) lives in control.ts. */
export type OutletState = "on" | "off";

export type PduDriver = {
  /** Outlet numbers as the PDU counts them, from 1. */
  outlets(): Promise<number[]>;
  read(outlet: number): Promise<OutletState>;
  /** Asks for a state; whether it took is control.ts's business (it reads back). */
  write(outlet: number, state: OutletState): Promise<void>;
};

/**
 * Why a PDU call failed, in words an operator can act on. `retry` says whether
 * trying again can help: an unreachable PDU can come back, an unknown outlet cannot.
 */
export type PduErrorKind = "unreachable" | "unknown-outlet" | "refused" | "protocol" | "mismatch";

export class PduError extends Error {
  constructor(readonly kind: PduErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PduError";
  }

  get retry(): boolean {
    return this.kind === "unreachable" || this.kind === "mismatch";
  }
}

export function unknownOutlet(pdu: string, outlet: number, outlets?: number[]): PduError {
  const known = outlets && outlets.length > 0 ? ` (it has ${describeOutlets(outlets)})` : "";
  return new PduError("unknown-outlet", `${pdu} has no outlet ${outlet}${known}`);
}

function describeOutlets(outlets: number[]): string {
  const sorted = [...outlets].sort((a, b) => a - b);
  const contiguous = sorted.every((n, i) => n === (sorted[0] ?? 0) + i);
  return contiguous && sorted.length > 2 ? `outlets ${sorted[0]}-${sorted.at(-1)}` : `outlets ${sorted.join(", ")}`;
}
