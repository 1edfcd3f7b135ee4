import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { createNodeCache, inCache, signaturesOf, verifyInCache, type NodeCache } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

/**
 * A node's two nix-daemons on one store: the trusted builds' daemon signs and
 * its hook queues for the trusted cache; the untrusted builds' daemon has no
 * key and its hook marks what it queues, which goes to another cache or nowhere;
 * a third untrusted one has neither key nor hook. Root stands in for the
 * trusted builder's user: the trusted daemon lets no one else in.
 */
let run: RunDir;
let node: NodeCache;
let trusted: RunningNixDaemon;
let untrusted: RunningNixDaemon;
let hookless: RunningNixDaemon;
const tag = `untrusted-${Date.now()}`;
const exec = promisify(execFile);

beforeAll(async () => {
  run = createRunDir("petrel-untrusted-");
  node = await createNodeCache(run.path, "petrel-trusted-1");
  const hooks = { trusted: await node.installHook(join(run.path, "hook-trusted")), untrusted: await node.installHook(join(run.path, "hook-untrusted"), "--untrusted") };
  trusted = await startNixDaemon(run, `post-build-hook = ${hooks.trusted}\nsecret-key-files = ${node.secretKey}\nallowed-users = root\n`, {
    confDir: run.sub("nix-trusted"),
  });
  untrusted = await startNixDaemon(run, `post-build-hook = ${hooks.untrusted}\n`, { confDir: run.sub("nix-untrusted") });
  hookless = await startNixDaemon(run, "", { confDir: run.sub("nix-hookless") });
});
afterAll(async () => {
  await trusted?.stop();
  await untrusted?.stop();
  await hookless?.stop();
  node?.remove();
  expect(await run?.remove()).toEqual([]);
});

/** Builds a small graph through one daemon and answers every output it made. */
async function buildThrough(daemon: RunningNixDaemon, name: string): Promise<string[]> {
  const expression = graphExpression(`${tag}-${name}`);
  const env = { ...process.env, ...daemon.clientEnv };
  expect((await nixBuild(expression, env)).code).toBe(0);
  return [...(await derivationsOf(expression, env)).values()].flat();
}

describe("untrusted builds and the binary caches", () => {
  it("sends the untrusted daemon's paths to the untrusted cache, never to the trusted one", async () => {
    const mine = await buildThrough(trusted, "main");
    const theirs = await buildThrough(untrusted, "pr");
    expect(node.queued().filter((name) => name.startsWith("untrusted-"))).toHaveLength(3);

    const [trustedCache, untrustedCache] = [join(run.path, "cache-trusted"), join(run.path, "cache-untrusted")];
    expect((await node.uploadOnce(trustedCache, "--untrusted-to", `file://${untrustedCache}`)).code).toBe(0);
    expect({ mine: mine.map((p) => inCache(trustedCache, p)), theirs: theirs.map((p) => inCache(trustedCache, p)) }).toEqual({ mine: mine.map(() => true), theirs: theirs.map(() => false) });
    expect({ mine: mine.map((p) => inCache(untrustedCache, p)), theirs: theirs.map((p) => inCache(untrustedCache, p)) }).toEqual({ mine: mine.map(() => false), theirs: theirs.map(() => true) });
    // The trusted cache verifies with the trusted key; the untrusted daemon signed nothing.
    expect(await verifyInCache(trustedCache, mine, node.publicKey)).toBe(0);
    expect(await verifyInCache(untrustedCache, theirs, node.publicKey)).not.toBe(0);
    expect(node.queued()).toEqual([]);
  });

  it("uploads an untrusted build's paths nowhere without an untrusted cache, and lets go of them", async () => {
    const theirs = await buildThrough(untrusted, "pr-2");
    const trustedCache = join(run.path, "cache-trusted-2");
    const { stdout: log } = await node.uploadOnce(trustedCache);
    expect(theirs.map((p) => inCache(trustedCache, p))).toEqual(theirs.map(() => false));
    expect(log).toContain('"discarded":3');
    expect(node.queued()).toEqual([]);
    expect(readdirSync(node.uploadRoots)).toEqual([]);
  });

  it("queues nothing from an untrusted daemon without a hook", async () => {
    const theirs = await buildThrough(hookless, "no-hook");
    expect(theirs.filter((path) => existsSync(path))).toHaveLength(4);
    expect(node.queued()).toEqual([]);
    expect(readdirSync(node.uploadRoots)).toEqual([]);
    for (const path of theirs) expect(await signaturesOf(path)).toEqual([]);
  });

  it("shares one store: a trusted build reusing an untrusted build's path carries it, unsigned, into the trusted cache", async () => {
    const drv = (name: string, script: string) => `derivation { name = "petrel-${name}-${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "${script}" ]; }`;
    const shared = drv("shared", "echo made-by-an-untrusted-build > $out");
    // The trusted output names the shared path, so the path is in its closure.
    const user = `let shared = ${shared}; in ${drv("user", "echo ${shared} > $out")}`;
    const outputOf = async (expression: string, daemon: RunningNixDaemon) => {
      const env = { ...process.env, ...daemon.clientEnv };
      expect((await nixBuild(expression, env)).code).toBe(0);
      return [...(await derivationsOf(expression, env)).values()].flat().find((path) => path.includes(expression === shared ? "-petrel-shared-" : "-petrel-user-"))!;
    };
    const sharedPath = await outputOf(shared, untrusted);
    const userPath = await outputOf(user, trusted);
    // The trusted daemon did not build the shared path again, so its hook queued only its own derivation.
    expect(node.queued().map((name) => (name.startsWith("untrusted-") ? "untrusted" : "trusted")).sort()).toEqual(["trusted", "untrusted"]);

    const [trustedCache, untrustedCache] = [join(run.path, "cache-trusted-3"), join(run.path, "cache-untrusted-3")];
    expect((await node.uploadOnce(trustedCache, "--untrusted-to", `file://${untrustedCache}`)).code).toBe(0);
    expect(await verifyInCache(trustedCache, [userPath], node.publicKey)).toBe(0);
    expect(await signaturesOf(userPath, trustedCache)).toHaveLength(1);
    // nix copy takes the closure as the store has it: the shared path, with no signature.
    expect([inCache(trustedCache, sharedPath), inCache(untrustedCache, sharedPath)]).toEqual([true, true]);
    expect(await signaturesOf(sharedPath, trustedCache)).toEqual([]);
    expect(await verifyInCache(trustedCache, [sharedPath], node.publicKey)).not.toBe(0);
  });

  it("can't build through the trusted daemon as a user its allowed-users leaves out", async () => {
    const user = run.user?.name ?? "nobody";
    const home = run.sub("home");
    const expression = graphExpression(`${tag}-as-${user}`);
    const buildAs = (daemon: RunningNixDaemon) =>
      exec("runuser", ["-u", user, "--", "env", `HOME=${home}`, `PATH=${process.env.PATH ?? ""}`, `NIX_REMOTE=${daemon.clientEnv.NIX_REMOTE}`, "nix-build", "--no-out-link", "-E", expression], { cwd: home }).then(
        () => "built",
        (error: { stderr: string }) => error.stderr,
      );
    expect(await buildAs(trusted)).toContain("cannot open connection to remote store");
    // The client sees only a closed connection; the daemon's log says why.
    expect(readFileSync(join(run.path, "nix-trusted", "nix-daemon.log"), "utf8")).toContain(`user '${user}' is not allowed to connect to the Nix daemon`);
    expect(node.queued()).toEqual([]);
    expect(await buildAs(untrusted)).toBe("built");
    expect(node.queued().filter((name) => name.startsWith("untrusted-"))).toHaveLength(3);
    const { stdout } = await node.uploadOnce(join(run.path, "cache-trusted-4"));
    expect(stdout).toContain('"discarded":3');
  });
});
