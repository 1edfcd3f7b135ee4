import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentUser } from "../cluster/run-dir.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export type ExecResult = { code: number | null; stdout: string; stderr: string };

/**
 * `petrel exec` as a real process, as the agents' unprivileged user when the
 * tests run as root (as the builder's executor task would), with only `env`
 * besides PATH.
 */
export const runPetrelExec = (env: Record<string, string>) => runPetrel("exec", env, agentUser()?.name);

/**
 * `petrel fetch` as the builder's checkout task runs it: as the test's own
 * user, so that when the tests run as root the mirror belongs to another user
 * than the builds, as on a node. The tests' repositories are local folders of
 * the agents' user, which git reads for another user only when told they are
 * safe (a forge's, over HTTP, need no such word).
 */
export const runPetrelFetch = (env: Record<string, string>) => runPetrel("fetch", { GIT_CONFIG_GLOBAL: trustingGitConfig(), ...env }, undefined);

let gitConfig: string | undefined;
function trustingGitConfig(): string {
  if (gitConfig === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "petrel-fetch-"));
    // One per test process, and gone with it.
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    gitConfig = join(dir, "gitconfig");
    writeFileSync(gitConfig, "[safe]\n\tdirectory = *\n");
  }
  return gitConfig;
}

/** The checkout task, then the executor when the commit is in the mirror, as the builder runs them. */
export async function runBuild(env: Record<string, string>): Promise<ExecResult> {
  const fetched = await runPetrelFetch(env);
  return fetched.code === 0 ? runPetrelExec(env) : fetched;
}

function runPetrel(command: string, env: Record<string, string>, user: string | undefined): Promise<ExecResult> {
  const node = [process.execPath, "--import", "tsx", cli, command];
  const [program, ...args] = user ? ["runuser", "-u", user, "--", ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(program as string, args, { cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { PATH: process.env.PATH, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
