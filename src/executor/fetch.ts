import { parseFetchEnv } from "./exec-env.js";
import { ExecFailure } from "./exec-failure.js";
import { markFailed, markFetched } from "./fetched-mark.js";
import { fetchIntoMirror } from "./fetch-mirror.js";
import { mirrorPath, redactUrl } from "./mirror-path.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The builder's checkout task: brings the build's commit into the node's
 * mirror of its trust level, and says so in `PETREL_FETCHED` for the
 * executor, which starts alongside and waits for that word before it checks
 * out. A fetch that fails says why there instead and ends well: the executor
 * fails the build with it, in the build's log (were this task to fail, Nomad
 * would stop the executor, maybe before it read the word). Without
 * `PETREL_FETCHED` a failure is this task's own. It runs no code of the
 * repository's.
 */
export async function runFetch(env: Env, log: (line: string) => void): Promise<void> {
  const config = parseFetchEnv(env);
  const mirror = mirrorPath(config.PETREL_GIT_CACHE, config.REPO_URL, config.TRUSTED);
  log(`petrel: fetching ${redactUrl(config.REPO_URL)} at ${config.COMMIT} into the ${config.TRUSTED ? "trusted" : "untrusted"} mirror`);
  try {
    await fetchIntoMirror({ repoUrl: config.REPO_URL, commit: config.COMMIT, mirror });
  } catch (error) {
    if (!config.PETREL_FETCHED) throw error;
    const why = error instanceof ExecFailure ? error.message : `petrel fetch: ${redactUrl((error as Error).message)}`;
    await markFailed(config.PETREL_FETCHED, config.COMMIT, why);
    return;
  }
  if (config.PETREL_FETCHED) await markFetched(config.PETREL_FETCHED, config.COMMIT);
}
