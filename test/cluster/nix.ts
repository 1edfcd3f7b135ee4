import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { probeNixDaemon } from "./nix-probe.js";
import { stopDaemon, sweep } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";
import { failedStart } from "./start-errors.js";

export const nixDaemonSocket = "/nix/var/nix/daemon-socket/socket";

export type RunningNixDaemon = {
  socket: string;
  /** What a client's environment needs to build through this daemon. */
  clientEnv: { NIX_REMOTE: string };
  stop: () => Promise<void>;
};

export type NixDaemonOptions = {
  /** Where nix.conf and the socket go (default: the run's `nix` folder). */
  confDir?: string;
  /** How long the first store query through the socket may take. */
  serveWithinMs?: number;
};

/**
 * The host paths a sandboxed build sees besides the store: a shell and the
 * programs and libraries of Debian's /usr (for derivations that need no
 * nixpkgs, as the tests' do). Not /etc, /var, /tmp or /nix/var: no keys, no
 * git mirrors, no other build's checkout.
 */
export const sandboxPaths = ["/bin", "/lib", "/lib64", "/usr"];

/** Where the machine's store keeps its database: there only once the store is initialised. */
const storeDatabase = "/nix/var/nix/db/db.sqlite";

/**
 * Debian's `nix-daemon` (package nix-bin), run as root with a nix.conf of the
 * test's own, on a socket in the run's folder (NIX_DAEMON_SOCKET_PATH), so
 * two test runs never share or stop each other's daemon; `confDir` puts
 * nix.conf and the socket elsewhere (where an isolated build can reach the
 * socket). Ready once a store query through its socket is answered. Not root:
 * a daemon already answering on the machine's socket is used as it is.
 */
export async function startNixDaemon(run: RunDir, extraConf = "", { confDir = run.sub("nix"), serveWithinMs = 10_000 }: NixDaemonOptions = {}): Promise<RunningNixDaemon> {
  if (process.getuid?.() !== 0) {
    if (await serves(nixDaemonSocket)) return { socket: nixDaemonSocket, clientEnv: { NIX_REMOTE: "daemon" }, stop: async () => {} };
    throw new Error("nix-daemon must be started as root (or be running already)");
  }
  const binary = which("nix-daemon");
  if (!binary) throw new Error("nix-daemon is not installed: apt-get install nix-bin");
  if (!existsSync(storeDatabase)) throw new Error("the Nix store in /nix is not initialised: run scripts/prepare as root");
  const socket = join(confDir, "daemon.sock");
  // Builds run in Nix's sandbox, as the README sets a node's daemons up: a
  // derivation sees its inputs and sandboxPaths, not the node. This machine
  // can't reach cache.nixos.org, so nothing is substituted.
  writeFileSync(join(confDir, "nix.conf"), `build-users-group = nixbld\nsandbox = true\nsandbox-paths = ${sandboxPaths.join(" ")}\nsubstituters =\n${extraConf}`);
  // An earlier daemon's socket would count as ready, and vanish under the probe when this one binds anew.
  rmSync(socket, { force: true });
  const daemon = await startAgent(run, {
    name: "nix-daemon",
    command: binary,
    args: [],
    dir: confDir,
    // The daemon serves the local store, always: left to "auto", a daemon
    // that can't open /nix/var/nix becomes a client of its own socket, and
    // every connection forks another daemon that connects again.
    env: { NIX_CONF_DIR: confDir, NIX_DAEMON_SOCKET_PATH: socket, NIX_REMOTE: "local" },
    asInvoker: true,
    readiness: "the nix-daemon socket",
    // Only the file: a connection per poll would be a daemon process per poll.
    ready: () => Promise.resolve(existsSync(socket)),
  });
  try {
    await probeOnceListening(socket, serveWithinMs);
  } catch (error) {
    await stopDaemon(daemon);
    // Each connection's daemon process leads a session of its own, out of the group's reach.
    await sweep(confDir);
    throw failedStart("nix-daemon", daemon.logFile, new Error(`it does not serve its store: ${error instanceof Error ? error.message : String(error)}`));
  }
  return { socket, clientEnv: { NIX_REMOTE: `unix://${socket}` }, stop: () => stopDaemon(daemon) };
}

/** The socket file exists a moment before the daemon listens on it: only that refusal is retried. */
async function probeOnceListening(socket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    try {
      return await probeNixDaemon(socket, timeoutMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ECONNREFUSED" || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function serves(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return probeNixDaemon(socket).then(
    () => true,
    () => false,
  );
}

function which(program: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}
