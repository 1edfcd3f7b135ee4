import { setTimeout as sleep } from "node:timers/promises";
import { PduError, type OutletState, type PduDriver } from "./driver.js";

export type PduAction = "on" | "off" | "cycle" | "status";
export const pduActions = ["on", "off", "cycle", "status"] as const satisfies readonly PduAction[];

export type ControlOptions = {
  /** The PDU's name, for messages. */
  pdu: string;
  /** Time an outlet stays off before it may come back on, so a board's supply drains (CI-tron's practice). */
  minOffMs: number;
  /** Further attempts after a failed one that trying again can fix (unreachable, not switched yet). */
  retries: number;
  retryDelayMs: number;
  /** One driver call's limit whatever the driver does underneath (a call can be several requests, each with its own timeout). */
  callTimeoutMs: number;
  /** When each outlet was last switched off; by default only what this process did. */
  offSince?: OffClock;
  /** How the minimum off time is waited out, so a CLI can say why it pauses. */
  holdOff?: (ms: number) => Promise<unknown>;
};

/** Where the time an outlet went off is kept: `petrel pdu off` and a later `petrel pdu on` are separate processes. */
export type OffClock = {
  get(outlet: number): Promise<number | undefined>;
  set(outlet: number, at: number | undefined): Promise<void>;
};

export function memoryOffClock(): OffClock {
  const times = new Map<number, number>();
  return {
    get: (outlet) => Promise.resolve(times.get(outlet)),
    set: (outlet, at) => {
      if (at === undefined) times.delete(outlet);
      else times.set(outlet, at);
      return Promise.resolve();
    },
  };
}

export type OutletReport = { outlet: number; state: OutletState; changed: boolean };

/**
 * The behaviour every driver shares, kept out of the drivers: read the state
 * back after switching, skip a change that is already true, hold an outlet
 * off for the minimum time before it comes back on, retry with jitter, time out.
 */
export function createPduControl(driver: PduDriver, options: ControlOptions) {
  const offSince = options.offSince ?? memoryOffClock();
  const holdOff = options.holdOff ?? ((ms: number) => sleep(ms));

  const attempt = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    for (let tried = 0; ; tried++) {
      try {
        return await withTimeout(call(), options.callTimeoutMs, `${options.pdu}: ${what} took longer than ${options.callTimeoutMs} ms`);
      } catch (error) {
        const retry = !(error instanceof PduError) || error.retry;
        if (!retry || tried >= options.retries) throw error;
        // Full jitter on an exponential step, so gateways retrying together spread out.
        await sleep(options.retryDelayMs * 2 ** tried * (0.5 + Math.random()));
      }
    }
  };

  const read = (outlet: number) => attempt(`reading outlet ${outlet}`, () => driver.read(outlet));

  const set = async (outlet: number, wanted: OutletState): Promise<OutletReport> => {
    const before = await read(outlet);
    if (before === wanted) return { outlet, state: before, changed: false };
    const since = wanted === "on" ? await offSince.get(outlet) : undefined;
    // An outlet found off without knowing since when has been off long enough.
    if (wanted === "on" && since !== undefined) {
      const left = since + options.minOffMs - Date.now();
      if (left > 0) await holdOff(left);
    }
    await attempt(`switching outlet ${outlet} ${wanted}`, async () => {
      await driver.write(outlet, wanted);
      const after = await driver.read(outlet);
      if (after !== wanted) throw new PduError("mismatch", `${options.pdu}: outlet ${outlet} still reads ${after} after switching it ${wanted}`);
    });
    await offSince.set(outlet, wanted === "off" ? Date.now() : undefined);
    return { outlet, state: wanted, changed: true };
  };

  return {
    outlets: () => attempt("listing outlets", () => driver.outlets()),
    status: async (outlet: number): Promise<OutletReport> => ({ outlet, state: await read(outlet), changed: false }),
    on: (outlet: number) => set(outlet, "on"),
    off: (outlet: number) => set(outlet, "off"),
    /** Off, the minimum off time (counted from now if it was already off), then on. */
    async cycle(outlet: number): Promise<OutletReport> {
      const off = await set(outlet, "off");
      if (!off.changed) await offSince.set(outlet, Date.now());
      return { ...(await set(outlet, "on")), changed: true };
    },
  };
}

export type PduControl = ReturnType<typeof createPduControl>;

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  const controller = new AbortController();
  const timer = sleep(ms, undefined, { signal: controller.signal }).then(() => {
    throw new PduError("unreachable", message);
  }, () => undefined as never);
  try {
    return await Promise.race([work, timer]);
  } finally {
    controller.abort();
  }
}
