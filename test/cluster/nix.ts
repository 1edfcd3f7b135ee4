import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

export const nixDaemonSocket = "/nix/var/nix/daemon-socket/socket";

export type RunningNixDaemon = {
  socket: string;
  /** What a client's environment needs to build through this daemon. */
  clientEnv: { NIX_REMOTE: string };
  stop: () => Promise<void>;
};

/**
 * Debian's `nix-daemon` (package nix-bin), run as root with a nix.conf of the
 * test's own, on a socket in the run's folder (NIX_DAEMON_SOCKET_PATH), so
 * two test runs never share or stop each other's daemon; `confDir` puts
 * nix.conf and the socket elsewhere (where an isolated build can reach the
 * socket). Not root: a daemon
 * already answering on the machine's socket is used as it is.
 */
export async function startNixDaemon(run: RunDir, extraConf = "", { confDir = run.sub("nix") }: { confDir?: string } = {}): Promise<RunningNixDaemon> {
  if (process.getuid?.() !== 0) {
    if (await answers(nixDaemonSocket)) return { socket: nixDaemonSocket, clientEnv: { NIX_REMOTE: "daemon" }, stop: async () => {} };
    throw new Error("nix-daemon must be started as root (or be running already)");
  }
  const binary = which("nix-daemon");
  if (!binary) throw new Error("nix-daemon is not installed: apt-get install nix-bin");
  const socket = join(confDir, "daemon.sock");
  // Debian's own nix.conf turns the sandbox off (it doesn't work there), and
  // this machine can't reach cache.nixos.org, so nothing is substituted.
  writeFileSync(join(confDir, "nix.conf"), `build-users-group = nixbld\nsandbox = false\nsubstituters =\n${extraConf}`);
  const daemon = await startAgent(run, {
    name: "nix-daemon",
    command: binary,
    args: [],
    dir: confDir,
    env: { NIX_CONF_DIR: confDir, NIX_DAEMON_SOCKET_PATH: socket },
    asInvoker: true,
    readiness: "the nix-daemon socket",
    ready: () => answers(socket),
  });
  return { socket, clientEnv: { NIX_REMOTE: `unix://${socket}` }, stop: () => stopDaemon(daemon) };
}

function answers(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const connection = connect(socket);
    connection.once("connect", () => {
      connection.destroy();
      resolve(true);
    });
    connection.once("error", () => resolve(false));
  });
}

function which(program: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}
