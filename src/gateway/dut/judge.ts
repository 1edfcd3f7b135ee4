import { StringDecoder } from "node:string_decoder";
import type { DutConfig } from "../config.js";

/** What one console line means for the run, if anything. */
export type ConsoleEvent = "success" | "failure" | "reboot" | "session-end";

/**
 * Turns console lines into events with the DUT's markers. The first line to
 * match decides, in this order: reboot-needed (a panicking kernel may print
 * anything after), failure, success, session end.
 */
export function createJudge(markers: DutConfig["markers"]): (line: string) => ConsoleEvent | undefined {
  const patterns: [ConsoleEvent, RegExp][] = [
    ...markers.reboot.map((source) => ["reboot", new RegExp(source)] as [ConsoleEvent, RegExp]),
    ...(markers.failure === undefined ? [] : [["failure", new RegExp(markers.failure)] as [ConsoleEvent, RegExp]]),
    ...(markers.success === undefined ? [] : [["success", new RegExp(markers.success)] as [ConsoleEvent, RegExp]]),
    ...(markers.sessionEnd === undefined ? [] : [["session-end", new RegExp(markers.sessionEnd)] as [ConsoleEvent, RegExp]]),
  ];
  return (line) => patterns.find(([, pattern]) => pattern.test(line))?.[0];
}

/**
 * Splits console bytes into lines. Everything before the first newline is
 * dropped: serial adapters print garbage at power-up, and it must not count
 * as the board's first sign of life.
 */
export function createLineSplitter(): (chunk: Buffer) => string[] {
  // A serial read can end inside a character: the decoder holds its first bytes back for the next.
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let started = false;
  return (chunk) => {
    pending += decoder.write(chunk);
    const parts = pending.split(/\r?\n/);
    pending = parts.pop() ?? "";
    if (!started && parts.length > 0) {
      started = true;
      parts.shift();
    }
    return parts.map((line) => line.replace(/\r/g, ""));
  };
}
