import { existsSync } from "node:fs";
import { join } from "node:path";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

/** Two linked pseudo-terminals: what a board writes to `board` comes out of `dut`, like a serial cable. */
export type PtyPair = { dut: string; board: string; stop: () => Promise<void> };

/** `socat` joining two ptys; it outlives the board end being closed and opened again (a reboot). */
export async function startPtyPair(run: RunDir, name: string): Promise<PtyPair> {
  const dir = run.sub(`socat-${name}`);
  const [dut, board] = [join(dir, "dut"), join(dir, "board")];
  const daemon = await startAgent(run, {
    name: "socat",
    command: "socat",
    args: ["-d", "-d", `pty,raw,echo=0,link=${dut}`, `pty,raw,echo=0,link=${board}`],
    dir,
    readiness: `socat's pty links ${dut} and ${board}`,
    ready: () => Promise.resolve(existsSync(dut) && existsSync(board)),
  });
  return { dut, board, stop: () => stopDaemon(daemon) };
}
