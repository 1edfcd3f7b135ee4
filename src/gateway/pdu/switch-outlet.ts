import { PduError, type OutletState, type PduDriver } from "./driver.js";

export type OutletAction = "on" | "off" | "cycle" | "status";
export type SwitchOptions = { pdu: string; minOffMs: number; retries: number; sleep?: (ms: number) => Promise<void> };
export type SwitchResult = { outlet: number; before: OutletState; after: OutletState; changed: boolean };

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The rules every PDU gets, whatever its driver: read the state first and
 * skip a change that is no change, read it back after switching, keep an
 * outlet off for the minimum off time before it goes on again in a cycle,
 * and retry what didn't answer (not what answered no) with jittered backoff.
 */
export async function switchOutlet(driver: PduDriver, outlet: number, action: OutletAction, options: SwitchOptions): Promise<SwitchResult> {
  const sleep = options.sleep ?? wait;
  const retry = <T>(step: () => Promise<T>) => withRetries(step, options.retries, sleep);
  const before = await retry(() => driver.read(outlet));
  if (action === "status") return { outlet, before, after: before, changed: false };

  const set = async (state: OutletState) => {
    await retry(() => driver.write(outlet, state));
    const now = await retry(() => driver.read(outlet));
    if (now !== state) throw new PduError(options.pdu, `outlet ${outlet} is still ${now} after switching it ${state}`);
  };
  if (action === "cycle") {
    if (before === "on") await set("off");
    await sleep(options.minOffMs);
    await set("on");
    return { outlet, before, after: "on", changed: true };
  }
  if (before === action) return { outlet, before, after: before, changed: false };
  await set(action);
  return { outlet, before, after: action, changed: true };
}

async function withRetries<T>(step: () => Promise<T>, retries: number, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (error instanceof PduError || attempt >= retries) throw error;
      await sleep(Math.round(200 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}
