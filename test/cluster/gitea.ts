import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, symlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { obtainAgent } from "./agents.js";
import { freePorts } from "./ports.js";
import { stopDaemon } from "./processes.js";
import type { Daemon, Leftover } from "./processes.js";
import { createRunDir } from "./run-dir.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";
import { agentEnv, failedStart } from "./start-errors.js";

export type GiteaAdmin = { username: string; password: string; token: string };

export type RunningGitea = {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  version: string;
  admin: GiteaAdmin;
  /** The folder holding everything of this instance; nothing may use it after stop(). */
  runDir: string;
  /** From startGitea() being called to the API answering, in ms. */
  startMs: number;
  /** Stops Gitea, removes its folder and answers the processes that had to be killed. */
  stop(): Promise<Leftover[]>;
};

const adminName = "petrel-admin";

/**
 * A real Gitea on a free loopback port with its own SQLite database, an admin
 * user and an admin token; ready once its API answers. Every call gets a fresh
 * instance in its own folder, so instances can run side by side.
 */
export async function startGitea(): Promise<RunningGitea> {
  const started = performance.now();
  const agent = await obtainAgent("gitea");
  const run = createRunDir("petrel-gitea-");
  const workPath = run.sub("gitea");
  const logFile = join(workPath, "gitea.log");
  let daemon: Daemon | undefined;
  const stop = async () => {
    if (daemon) await stopDaemon(daemon);
    return run.remove();
  };
  try {
    linkSharedAssets(agent.path, workPath);
    const [port] = await freePorts(1);
    const url = `http://127.0.0.1:${port}`;
    const config = writeConfig(run, workPath, port!, url);
    const gitea = giteaCli(agent.path, run, workPath, config, logFile);

    await gitea(["migrate"]);
    const password = randomBytes(16).toString("hex");
    await gitea(["admin", "user", "create"], ["--admin", "--username", adminName, "--password", password,
      "--email", `${adminName}@petrel.test`, "--must-change-password=false"]);
    const tokenOutput = await gitea(["admin", "user", "generate-access-token"], ["--username", adminName,
      "--token-name", "petrel-tests", "--scopes", "all", "--raw"]);
    // Gitea may log before the token; the token is the 40-hex-digit line.
    const token = /^[0-9a-f]{40}$/m.exec(tokenOutput)?.[0];
    if (!token) throw new Error("`gitea admin user generate-access-token` printed no token");

    daemon = await startAgent(run, {
      name: "gitea",
      command: agent.path,
      args: ["web", "--config", config, "--work-path", workPath],
      dir: workPath,
      env: { GITEA_WORK_DIR: workPath },
      readiness: "the Gitea API",
      ready: async () => (await fetch(`${url}/api/v1/version`)).ok,
    });
    return {
      url,
      version: agent.version,
      admin: { username: adminName, password, token },
      runDir: run.path,
      startMs: Math.round(performance.now() - started),
      stop,
    };
  } catch (error) {
    const failure = failedStart("gitea", logFile, error);
    await stop();
    throw failure;
  }
}

/**
 * A build without the `bindata` tag reads its locales and templates from the
 * work path; build-agent.sh keeps them next to the binary. A Gitea from PATH
 * without that folder is a bindata build and needs none.
 */
function linkSharedAssets(binary: string, workPath: string): void {
  const share = join(dirname(binary), "..", "share");
  for (const folder of ["options", "templates"]) {
    if (existsSync(join(share, folder))) symlinkSync(join(share, folder), join(workPath, folder));
  }
}

function writeConfig(run: RunDir, workPath: string, port: number, url: string): string {
  const secret = () => randomBytes(32).toString("hex");
  const config = join(workPath, "app.ini");
  writeFileSync(config, `
RUN_USER = ${run.user?.name ?? userInfo().username}
WORK_PATH = ${workPath}

[database]
DB_TYPE = sqlite3
PATH = ${join(workPath, "data", "gitea.db")}

[security]
INSTALL_LOCK = true
SECRET_KEY = ${secret()}
INTERNAL_TOKEN = ${secret()}

[server]
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
ROOT_URL = ${url}/
DISABLE_SSH = true
OFFLINE_MODE = true
LFS_START_SERVER = false

[repository]
ROOT = ${join(workPath, "repositories")}
DEFAULT_BRANCH = main

[service]
DISABLE_REGISTRATION = true

[cron]
ENABLED = false

[queue]
; In-memory queues hand work on at once; the default on-disk ones poll with a
; backoff that delays every webhook by 2-3 s. Nothing here must survive a restart.
TYPE = channel

; A queue holds an item 100 ms for more to batch with, unless its batch is full:
; a push goes through these two before its webhook leaves.
[queue.push_update]
BATCH_LENGTH = 1

[queue.webhook_sender]
BATCH_LENGTH = 1

[webhook]
; The default refuses to deliver to 127.0.0.1, where the tests listen.
ALLOWED_HOST_LIST = loopback
; Seconds; the default 5 is tight for a receiver that submits a Nomad job before answering.
DELIVER_TIMEOUT = 10

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = ${join(workPath, "log")}
`);
  // Gitea writes secrets it generates (e.g. the OAuth2 JWT key) back into its config.
  if (run.user) chownSync(config, run.user.uid, run.user.gid);
  return config;
}

function giteaEnv(workPath: string): NodeJS.ProcessEnv {
  return agentEnv(workPath, { GITEA_WORK_DIR: workPath });
}

/**
 * Runs `gitea <subcommand> <flags>` as the agents' user, against this
 * instance's config. Its stderr goes to the log, and a failure names only the
 * subcommand: the flags may hold the admin password.
 */
function giteaCli(binary: string, run: RunDir, workPath: string, config: string, logFile: string) {
  return (subcommand: string[], flags: string[] = []): Promise<string> => {
    const name = `gitea ${subcommand.join(" ")}`;
    return new Promise((resolve, reject) => {
      execFile(binary, [...subcommand, ...flags, "--config", config, "--work-path", workPath], {
        cwd: workPath,
        env: giteaEnv(workPath),
        timeout: 60_000,
        ...(run.user ? { uid: run.user.uid, gid: run.user.gid } : {}),
      }, (error, stdout, stderr) => {
        writeFileSync(logFile, `--- ${name}\n${stderr}`, { flag: "a" });
        if (error) reject(new Error(`\`${name}\` failed (exit ${String(error.code)}): ${stderr.trim() || stdout.trim()}`));
        else resolve(stdout);
      });
    });
  };
}
