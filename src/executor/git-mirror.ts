import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ExecFailure } from "./exec-failure.js";

const run = promisify(execFile);

/** Every branch, tag and forge review head (GitHub/Gitea pull requests, GitLab merge requests). */
const refspecs = [
  "+refs/heads/*:refs/heads/*",
  "+refs/tags/*:refs/tags/*",
  "+refs/pull/*/head:refs/pull/*/head",
  "+refs/merge-requests/*/head:refs/merge-requests/*/head",
];

/** How long a build waits for another build's fetch of the same repository. */
const lockWaitSeconds = 600;

/**
 * Checks out `repoUrl` at `commit` into `workTree` through a bare mirror
 * under `cacheDir`, one per repository and shared by every build on the node:
 * a commit already there costs no network at all, a new one a fetch of what
 * changed. Fetches take the mirror's lock (flock, so a killed build never
 * leaves it held); readers don't need it, since git writes objects and refs
 * atomically. The work tree borrows the mirror's objects (`--shared`).
 */
export async function checkoutThroughMirror({ repoUrl, commit, cacheDir, workTree }: CheckoutOptions): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const mirror = join(cacheDir, `${mirrorName(repoUrl)}.git`);
  const locked = (...args: string[]) => git(["flock", "--wait", String(lockWaitSeconds), `${mirror}.lock`, "git", ...args], repoUrl);
  if (!existsSync(join(mirror, "HEAD"))) await locked("init", "--quiet", "--bare", mirror);
  if (!(await hasCommit(mirror, commit))) {
    // Auto gc could prune objects a running build's work tree borrows.
    await locked("-C", mirror, "-c", "gc.auto=0", "fetch", "--quiet", "--prune", "--no-tags", "--", repoUrl, ...refspecs);
  }
  if (!(await hasCommit(mirror, commit))) {
    // A commit no ref points at any more (a force-pushed branch): ask for it by name.
    await locked("-C", mirror, "-c", "gc.auto=0", "fetch", "--quiet", "--no-tags", "--", repoUrl, commit).catch(() => {
      throw new ExecFailure("checkout", `petrel exec: commit ${commit} is not in ${redactUrl(repoUrl)}`);
    });
  }
  await git(["git", "clone", "--quiet", "--no-checkout", "--shared", "--", mirror, workTree], repoUrl);
  await git(["git", "-C", workTree, "remote", "set-url", "origin", repoUrl], repoUrl);
  await git(["git", "-C", workTree, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit], repoUrl);
}

export type CheckoutOptions = { repoUrl: string; commit: string; cacheDir: string; workTree: string };

/** A folder name per repository: readable, and unique even when two URLs end alike. */
export function mirrorName(repoUrl: string): string {
  const base = redactUrl(repoUrl).replace(/\.git\/?$/, "").split(/[/:]/).filter(Boolean).pop() ?? "repo";
  const hash = createHash("sha256").update(repoUrl).digest("hex").slice(0, 16);
  return `${base.replace(/[^A-Za-z0-9_.-]/g, "_")}-${hash}`;
}

async function hasCommit(mirror: string, commit: string): Promise<boolean> {
  try {
    await run("git", ["-C", mirror, "cat-file", "-e", `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

async function git([command, ...args]: [string, ...string[]], repoUrl: string): Promise<void> {
  try {
    await run(command, args, { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const lines = (error as { stderr?: string }).stderr?.trim().split("\n") ?? [];
    // Git's first fatal line names the cause; what follows is advice.
    const cause = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? String(error);
    throw new ExecFailure("checkout", `petrel exec: checkout of ${redactUrl(repoUrl)} failed: ${redactUrl(cause)}`);
  }
}

/** Credentials in a clone URL (https://user:token@host/…) never reach the build log. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, "$1***@");
}
