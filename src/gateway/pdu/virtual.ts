import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PduError, unknownOutlet, type PduDriver } from "./driver.js";

export type VirtualOptions = {
  /** The "board" an outlet powers: argv, run with OUTLET in its environment. */
  command: string[];
  outlets: number;
  /** Holds a pid file and a log per outlet, so separate `petrel pdu` runs see the same outlets. */
  stateDir: string;
};

/**
 * A PDU for development and tests: switching an outlet on starts the
 * configured process in a group of its own, switching it off kills that group.
 */
export function createVirtualDriver(pdu: string, options: VirtualOptions): PduDriver {
  const outlets = Array.from({ length: options.outlets }, (_, i) => i + 1);
  const pidFile = (outlet: number) => join(options.stateDir, `outlet-${outlet}.pid`);
  const check = (outlet: number) => {
    if (!outlets.includes(outlet)) throw unknownOutlet(pdu, outlet, outlets);
  };
  const runningPid = (outlet: number): number | undefined => {
    let pid: number;
    try {
      pid = Number(readFileSync(pidFile(outlet), "utf8"));
    } catch {
      return undefined;
    }
    return alive(pid) ? pid : undefined;
  };

  return {
    outlets: () => Promise.resolve(outlets),
    read: (outlet) => {
      check(outlet);
      return Promise.resolve(runningPid(outlet) === undefined ? "off" : "on");
    },
    async write(outlet, state) {
      check(outlet);
      const pid = runningPid(outlet);
      if (state === "on" && pid === undefined) {
        mkdirSync(options.stateDir, { recursive: true });
        const log = openSync(join(options.stateDir, `outlet-${outlet}.log`), "a");
        const [command = "", ...args] = options.command;
        const board = spawn(command, args, { detached: true, stdio: ["ignore", log, log], env: { ...process.env, OUTLET: String(outlet) } });
        closeSync(log);
        await new Promise<void>((resolve, reject) => {
          board.once("spawn", resolve);
          board.once("error", (error) => reject(new PduError("refused", `${pdu}: cannot start outlet ${outlet}'s process: ${error.message}`)));
        });
        board.unref();
        writeFileSync(pidFile(outlet), String(board.pid));
      } else if (state === "off" && pid !== undefined) {
        kill(-pid);
        for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
        rmSync(pidFile(outlet), { force: true });
      }
    },
  };
}

/** Zombies count as dead: a board whose parent has not reaped it is off. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function kill(target: number): void {
  try {
    process.kill(target, "SIGKILL");
  } catch {
    // Already gone.
  }
}
