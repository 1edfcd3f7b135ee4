import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { agentUser } from "../cluster/run-dir.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export type ExecResult = { code: number | null; stdout: string; stderr: string };

/**
 * `petrel exec` as a real process, as the agents' unprivileged user when the
 * tests run as root (as the builder's task would), with only `env` besides PATH.
 */
export function runPetrelExec(env: Record<string, string>): Promise<ExecResult> {
  const user = agentUser();
  const node = [process.execPath, "--import", "tsx", cli, "exec"];
  const [command, ...args] = user ? ["runuser", "-u", user.name, "--", ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { PATH: process.env.PATH, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
