import type { DutConfig } from "../config.js";
import type { Console } from "./console.js";
import { createJudge, createLineSplitter } from "./judge.js";

/** How one boot ended: a verdict, or why there is none and whether booting again may help. */
export type BootOutcome =
  | { kind: "pass" | "fail"; reason: string }
  | { kind: "again"; reason: string }
  | { kind: "incomplete"; reason: string };

export type WatchOptions = {
  config: DutConfig;
  /** When the whole run must end, across boots. */
  deadline: number;
  /** Every console line, as it comes. */
  line: (text: string) => void;
};

/**
 * Reads one boot's console until a verdict or a timeout: first activity
 * (counted from power on, and only after the first newline), silence
 * between lines, the watchdogs, and the run's overall deadline.
 */
export function watchBoot(console: Console, { config, deadline, line }: WatchOptions): Promise<BootOutcome> {
  const { timeouts, markers } = config;
  const judge = createJudge(markers);
  const split = createLineSplitter();
  return new Promise((resolve) => {
    let verdict: { kind: "pass" | "fail"; reason: string } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const overall = setTimeout(() => end(verdict ?? { kind: "incomplete", reason: `no verdict within the overall ${timeouts.overallMs} ms` }), Math.max(0, deadline - Date.now()));
    const armed = new Map<string, NodeJS.Timeout>();
    const end = (outcome: BootOutcome) => {
      clearTimeout(timer);
      clearTimeout(overall);
      for (const watchdog of armed.values()) clearTimeout(watchdog);
      resolve(outcome);
    };
    const watch = (text: string) => {
      for (const [name, watchdog] of Object.entries(config.watchdogs)) {
        const arm = () => {
          clearTimeout(armed.get(name));
          armed.set(name, setTimeout(() => end(verdict ?? { kind: "again", reason: `watchdog ${name} expired after ${watchdog.timeoutMs} ms` }), watchdog.timeoutMs));
        };
        if (watchdog.stop !== undefined && new RegExp(watchdog.stop).test(text)) {
          clearTimeout(armed.get(name));
          armed.delete(name);
        } else if (new RegExp(watchdog.start).test(text) || (armed.has(name) && watchdog.reset !== undefined && new RegExp(watchdog.reset).test(text))) {
          arm();
        }
      }
    };
    const waitFor = (ms: number, outcome: () => BootOutcome) => {
      clearTimeout(timer);
      timer = setTimeout(() => end(outcome()), ms);
    };
    waitFor(timeouts.firstActivityMs, () => ({ kind: "again", reason: `no console activity within ${timeouts.firstActivityMs} ms of power on` }));

    console.onData((chunk) => {
      for (const text of split(chunk)) {
        line(text);
        waitFor(timeouts.silenceMs, () => verdict ?? { kind: "again", reason: `the console was silent for ${timeouts.silenceMs} ms` });
        watch(text);
        const event = judge(text);
        if (event === "reboot") return end({ kind: "again", reason: `reboot needed: ${text.trim().slice(0, 200)}` });
        if (event === "success" || event === "failure") {
          verdict ??= { kind: event === "success" ? "pass" : "fail", reason: `${event} marker: ${text.trim().slice(0, 200)}` };
          // Without a session-end marker, the verdict ends the session.
          if (markers.sessionEnd === undefined) return end(verdict);
        }
        if (event === "session-end") return end(verdict ?? { kind: "incomplete", reason: "the session ended without a success or failure marker" });
      }
    });
    console.onEnd((why) => end(verdict ?? { kind: "again", reason: why }));
  });
}
