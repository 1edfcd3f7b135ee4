import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecFailure } from "./exec-failure.js";
import { git, hasCommit } from "./git.js";
import { redactUrl } from "./mirror-path.js";

/**
 * Checks `commit` out into `workTree` from the node's mirror, which the build
 * may only read: the work tree borrows the mirror's objects (`--shared`), so
 * a commit costs no copy, and nothing the build does reaches the mirror. The
 * mirror belongs to the checkout task's user; git refuses another user's
 * repository unless told it is safe, which a global config of this checkout's
 * own says for that one mirror.
 */
export async function checkoutFromMirror({ repoUrl, commit, mirror, workTree, scratch }: CheckoutOptions): Promise<void> {
  const globalConfig = join(scratch, "petrel-checkout.gitconfig");
  writeFileSync(globalConfig, `[safe]\n\tdirectory = ${mirror}\n`);
  const env = { GIT_CONFIG_GLOBAL: globalConfig };
  const options = { repoUrl, who: "petrel exec", env };
  if (!(await hasCommit(mirror, commit, env))) {
    throw new ExecFailure("checkout", `petrel exec: commit ${commit} of ${redactUrl(repoUrl)} is not in the node's mirror: the builder's checkout task (petrel fetch) brings it`);
  }
  await git(["git", "clone", "--quiet", "--no-checkout", "--shared", "--", mirror, workTree], options);
  await git(["git", "-C", workTree, "remote", "set-url", "origin", repoUrl], options);
  await git(["git", "-C", workTree, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit], options);
}

export type CheckoutOptions = {
  repoUrl: string;
  commit: string;
  mirror: string;
  workTree: string;
  /** A folder of the task's own for the checkout's git config. */
  scratch: string;
};
