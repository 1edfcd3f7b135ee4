import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { ExecFailure } from "./exec-failure.js";
import { git, hasCommit } from "./git.js";
import { redactUrl } from "./mirror-path.js";

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
 * What git runs with in the mirror. Nobody but this fetch writes the mirror,
 * and still: no hooks (not even a template's), every received object checked,
 * and no auto gc, which could prune objects a running build's work tree borrows.
 */
const mirrorOptions = ["-c", "core.hooksPath=/dev/null", "-c", "transfer.fsckObjects=true", "-c", "gc.auto=0"];

/**
 * Makes `commit` of `repoUrl` present in the bare mirror at `mirror`: nothing
 * to do when it is there, else a fetch of what changed. This runs in the
 * builder's checkout task, as the only user who may write the node's git
 * cache; the build script's task sees the cache read-only. Fetches take the
 * mirror's lock (flock, so a killed task never leaves it held); readers don't
 * need it, since git writes objects and refs atomically.
 */
export async function fetchIntoMirror({ repoUrl, commit, mirror }: { repoUrl: string; commit: string; mirror: string }): Promise<void> {
  mkdirSync(dirname(mirror), { recursive: true, mode: 0o755 });
  const locked = (...args: string[]) => git(["flock", "--wait", String(lockWaitSeconds), `${mirror}.lock`, "git", ...mirrorOptions, ...args], { repoUrl, who: "petrel fetch" });
  if (!existsSync(join(mirror, "HEAD"))) await locked("init", "--quiet", "--bare", "--template=", mirror);
  if (await hasCommit(mirror, commit)) return;
  await locked("-C", mirror, "fetch", "--quiet", "--prune", "--no-tags", "--", repoUrl, ...refspecs);
  if (await hasCommit(mirror, commit)) return;
  // A commit no ref points at any more (a force-pushed branch): ask for it by name.
  await locked("-C", mirror, "fetch", "--quiet", "--no-tags", "--", repoUrl, commit).catch(() => {
    throw new ExecFailure("checkout", `petrel fetch: commit ${commit} is not in ${redactUrl(repoUrl)}`);
  });
}
