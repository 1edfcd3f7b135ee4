import { spawn } from "node:child_process";
import { constants } from "node:os";
import { ExecFailure } from "./exec-failure.js";

/** Between SIGTERM and SIGKILL, for a build that was told to stop. */
const killGraceMs = 10_000;

export type RunScriptOptions = {
  script: string;
  cwd: string;
  env: Record<string, string>;
  /** Seconds; 0 means no limit. */
  timeoutSeconds: number;
};

/**
 * Runs the build script in a process group of its own, its output straight
 * to ours (the task's log), and answers its exit code (128 + signal when a
 * signal ended it). A timeout and Nomad's stop signal take down the whole
 * group, and what is left of it when the script ends is killed, so no stray
 * build process outlives the build.
 */
export function runScript({ script, cwd, env, timeoutSeconds }: RunScriptOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { cwd, env, stdio: "inherit", detached: true });
    let timedOut = false;
    let escalation: NodeJS.Timeout | undefined;
    const stopGroup = (signal: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child.pid, signal);
      escalation ??= setTimeout(() => stopGroup("SIGKILL"), killGraceMs).unref();
    };
    const forward = (signal: NodeJS.Signals) => stopGroup(signal);
    process.on("SIGTERM", forward).on("SIGINT", forward);
    const limit =
      timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            stopGroup("SIGTERM");
          }, timeoutSeconds * 1000)
        : undefined;
    const done = () => {
      clearTimeout(limit);
      clearTimeout(escalation);
      process.off("SIGTERM", forward).off("SIGINT", forward);
    };
    child.once("error", (error) => {
      done();
      reject(error);
    });
    child.once("exit", (code, signal) => {
      done();
      // What the script left running in the background ends with it.
      killGroup(child.pid, "SIGKILL");
      if (timedOut) reject(new ExecFailure("timeout", `petrel exec: the build ran past its limit of ${timeoutSeconds} s and was stopped`));
      else resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
