import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ExecFailure } from "./exec-failure.js";
import { redactUrl } from "./mirror-path.js";

const run = promisify(execFile);

/** Runs a git command (or `flock … git …`); a failure is the checkout's, in `who`'s name, with git's own cause. */
export async function git([command, ...args]: [string, ...string[]], { repoUrl, who, env = {} }: { repoUrl: string; who: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  try {
    await run(command, args, { env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const lines = (error as { stderr?: string }).stderr?.trim().split("\n") ?? [];
    // Git's first fatal line names the cause; what follows is advice.
    const cause = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? String(error);
    throw new ExecFailure("checkout", `${who}: checkout of ${redactUrl(repoUrl)} failed: ${redactUrl(cause)}`);
  }
}

export async function hasCommit(repo: string, commit: string, env: NodeJS.ProcessEnv = {}): Promise<boolean> {
  try {
    await run("git", ["-C", repo, "cat-file", "-e", `${commit}^{commit}`], { env: { ...process.env, ...env } });
    return true;
  } catch {
    return false;
  }
}
