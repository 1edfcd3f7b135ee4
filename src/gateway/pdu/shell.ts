import { execFile } from "node:child_process";
import { PduError, unknownOutlet, type OutletState, type PduDriver } from "./driver.js";

export type ShellOptions = { on: string; off: string; status: string; outlets: number[]; timeoutMs: number };

/**
 * Any PDU a command line can drive: each command runs with `sh -c` and the
 * outlet in $OUTLET (never spliced into the command, so it cannot inject);
 * `status` prints on or off (or 1 or 0).
 */
export function createShellDriver(pdu: string, options: ShellOptions): PduDriver {
  const run = (outlet: number, which: "on" | "off" | "status") =>
    new Promise<string>((resolve, reject) => {
      if (!options.outlets.includes(outlet)) return reject(unknownOutlet(pdu, outlet, options.outlets));
      execFile("/bin/sh", ["-c", options[which]], { env: { ...process.env, OUTLET: String(outlet) }, timeout: options.timeoutMs }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const why = error.killed ? `was stopped after ${options.timeoutMs} ms` : `exited with ${error.code ?? error.signal}`;
        reject(new PduError("refused", `${pdu}: the ${which} command for outlet ${outlet} ${why}: ${stderr.trim().slice(-300)}`));
      });
    });
  return {
    outlets: () => Promise.resolve(options.outlets),
    read: async (outlet) => parseState(pdu, outlet, await run(outlet, "status")),
    write: async (outlet, state) => {
      await run(outlet, state);
    },
  };
}

function parseState(pdu: string, outlet: number, output: string): OutletState {
  const word = output.trim().toLowerCase();
  if (word === "on" || word === "1") return "on";
  if (word === "off" || word === "0") return "off";
  throw new PduError("protocol", `${pdu}: the status command for outlet ${outlet} printed '${word.slice(0, 50)}', not on or off`);
}
