import { accessSync, constants, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExecEnv } from "./exec-env.js";
import { ExecFailure } from "./exec-failure.js";
import { checkoutFromMirror } from "./checkout.js";
import { waitForFetch } from "./fetched-mark.js";
import { mirrorName, mirrorPath, redactUrl } from "./mirror-path.js";
import { redeemSecrets } from "./redeem-secrets.js";
import { runScript } from "./run-script.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * One build, as the builder's executor task runs it: secrets first (their
 * URL is short-lived), then the checkout, then the repository's `.albatros`.
 * The checkout task (`petrel fetch`) puts the commit in the node's mirror
 * meanwhile; with `PETREL_FETCHED` the checkout waits for its word.
 * Answers the script's exit code; throws ExecFailure when it never ran.
 */
export async function runExec(env: Env, log: (line: string) => void): Promise<number> {
  const config = parseExecEnv(env);
  const taskDir = config.NOMAD_TASK_DIR ?? tmpdir();
  log(`petrel: building ${redactUrl(config.REPO_URL)} at ${config.COMMIT} (branch ${config.BRANCH}, flavor ${config.FLAVOR})`);
  const secrets = config.SECRETS_URL ? await redeemSecrets(config.SECRETS_URL, config.NOMAD_SECRETS_DIR ?? taskDir, { waitSeconds: config.PETREL_SECRETS_WAIT, log }) : undefined;
  try {
    const scratch = mkdtempSync(join(taskDir, "petrel-build-"));
    const workTree = join(scratch, "src");
    const mirror = mirrorPath(config.PETREL_GIT_CACHE, config.REPO_URL, config.TRUSTED);
    if (config.PETREL_FETCHED) await waitForFetch(config.PETREL_FETCHED, config.COMMIT);
    await checkoutFromMirror({ repoUrl: config.REPO_URL, commit: config.COMMIT, mirror, workTree, scratch });
    const script = join(workTree, ".albatros");
    if (!isExecutableFile(script)) {
      throw new ExecFailure("noScript", `petrel exec: no executable .albatros at the root of ${redactUrl(config.REPO_URL)} at ${config.COMMIT}`);
    }
    const gcroot = join(config.PETREL_GCROOTS, mirrorName(config.REPO_URL), `${config.COMMIT}-${config.FLAVOR}`);
    try {
      mkdirSync(join(gcroot, ".."), { recursive: true });
    } catch (error) {
      log(`petrel: warning: cannot create the GC roots folder of GCROOT (${(error as Error).message})`);
    }
    return await runScript({
      script,
      cwd: workTree,
      env: scriptEnv(env, {
        REPO_URL: config.REPO_URL,
        COMMIT: config.COMMIT,
        BRANCH: config.BRANCH,
        FLAVOR: config.FLAVOR,
        GCROOT: gcroot,
        ...(secrets ? { SECRET_PATH: secrets.path } : {}),
        // An approved build runs on the trusted builder; its Nix builds go to the node's untrusted daemon.
        ...(!config.TRUSTED && config.PETREL_UNTRUSTED_NIX_REMOTE ? { NIX_REMOTE: config.PETREL_UNTRUSTED_NIX_REMOTE } : {}),
      }),
      timeoutSeconds: config.PETREL_EXEC_TIMEOUT,
    });
  } finally {
    secrets?.remove();
  }
}

/** The task's environment without the spent secrets URL and Petrel's own knobs, plus the build contract. */
function scriptEnv(env: Env, contract: Record<string, string>): Record<string, string> {
  const kept = Object.entries(env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !["SECRETS_URL", "NOMAD_META_SECRETS_URL"].includes(entry[0]) && entry[0] !== "SECRET_PATH" && !entry[0].startsWith("PETREL_"),
  );
  return { ...Object.fromEntries(kept), ...contract };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
