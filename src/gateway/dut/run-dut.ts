import type { DutConfig } from "../config.js";
import type { PduControl } from "../pdu/control.js";
import { openConsole } from "./console.js";
import { watchBoot, type BootOutcome } from "./watch-boot.js";

export type DutResult = { verdict: "pass" | "fail" | "incomplete"; exitCode: 0 | 1 | 2; reason: string; boots: number };

export type RunDutDeps = {
  config: DutConfig;
  pdu: PduControl;
  /** Console lines: stdout, so Nomad keeps them as the job's log. */
  line: (text: string) => void;
  /** Petrel's own remarks (boots, retries, power): stderr. */
  note: (text: string) => void;
};

const exitCodes = { pass: 0, fail: 1, incomplete: 2 } as const;

/**
 * Powers the board on, watches its console to a verdict, boots it again on a
 * reboot-needed marker or a timeout up to `retries` times, and always powers
 * it off at the end.
 */
export async function runDut({ config, pdu, line, note }: RunDutDeps): Promise<DutResult> {
  const deadline = Date.now() + config.timeouts.overallMs;
  let boots = 0;
  let outcome: BootOutcome = { kind: "incomplete", reason: "not booted" };
  try {
    while (boots <= config.retries && Date.now() < deadline) {
      boots++;
      // The console is open before power comes, so the first line is never missed.
      const console = await openConsole(config.console);
      try {
        note(`boot ${boots}: powering ${config.pdu} outlet ${config.outlet} on`);
        await pdu.off(config.outlet);
        await pdu.on(config.outlet);
        outcome = await watchBoot(console, { config, deadline, line });
      } finally {
        await console.close();
      }
      if (outcome.kind !== "again") break;
      note(`boot ${boots}: ${outcome.reason}`);
    }
  } catch (error) {
    outcome = { kind: "incomplete", reason: (error as Error).message };
  } finally {
    try {
      await pdu.off(config.outlet);
    } catch (error) {
      outcome = { kind: "incomplete", reason: `could not power the board off: ${(error as Error).message}` };
    }
  }
  const verdict = outcome.kind === "again" ? "incomplete" : outcome.kind;
  const reason = outcome.kind === "again" ? `gave up after ${boots} boots: ${outcome.reason}` : outcome.reason;
  note(`${verdict}: ${reason}`);
  return { verdict, exitCode: exitCodes[verdict], reason, boots };
}
