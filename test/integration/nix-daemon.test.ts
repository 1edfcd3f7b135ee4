import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { processesUsing } from "../cluster/processes.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";

const run = promisify(execFile);
let runDir: RunDir;
let daemon: RunningNixDaemon;

beforeAll(async () => {
  runDir = createRunDir("petrel-nix-");
  daemon = await startNixDaemon(runDir);
});
afterAll(async () => {
  await daemon?.stop();
  expect(await runDir.remove()).toEqual([]);
});

describe("the harness's nix-daemon", () => {
  it("builds a derivation for a client that talks to it through its socket", async () => {
    // A unique name so the daemon really builds instead of finding the path in the store.
    const name = `petrel-harness-${Date.now()}`;
    const expression = `derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo built-by-the-daemon $(/usr/bin/id -un) $(/usr/bin/id -u) > $out" ]; }`;
    const { stdout } = await run("nix-build", ["--no-out-link", "-E", expression], {
      env: { ...process.env, ...daemon.clientEnv },
    });
    const outPath = stdout.trim();
    expect(outPath).toMatch(new RegExp(`^/nix/store/[a-z0-9]{32}-${name}$`));
    // The daemon builds as one of its unprivileged build users, never as root: in its sandbox that user is named nixbld.
    const [, user, uid] = /^built-by-the-daemon (\S+) (\d+)\n$/.exec(readFileSync(outPath, "utf8")) ?? [];
    expect({ user, root: uid === "0" }).toEqual({ user: "nixbld", root: false });
  });
});

describe("the harness's nix-daemon start", () => {
  it("fails in one line, leaving nothing running, when the daemon accepts connections but can't serve them", async () => {
    // A daemon whose store is its own socket: each connection's daemon connects again, without end.
    const confDir = runDir.sub("nix-looping");
    const start = startNixDaemon(runDir, `store = unix://${confDir}/daemon.sock\n`, { confDir, serveWithinMs: 1_000 });
    const error = await start.then(() => undefined, (reason: unknown) => reason as Error);
    expect(error?.message.split("\n")[0]).toBe("nix-daemon did not start: it does not serve its store: no answer within 1000 ms");
    expect(processesUsing(confDir)).toEqual([]);
  });
});
