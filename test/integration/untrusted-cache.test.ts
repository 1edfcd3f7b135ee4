import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { installHook, narinfo, queued, signaturesOf, signingKey, uploadOnce, verifyInCache, type UploadQueue } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild, type NixEnv } from "../support/nix-graph.js";

// One node's store, three daemons on it, as README "Untrusted builds" runs them:
// the trusted one signs and spools to A; the untrusted one has no key and
// spools to B; the other untrusted one has neither key nor hook. Root stands
// in for the trusted builder's user: the trusted daemon lets no one else in.
let runDir: RunDir;
let trusted: RunningNixDaemon;
let untrusted: RunningNixDaemon;
let nowhere: RunningNixDaemon;
let queueA: UploadQueue;
let queueB: UploadQueue;
let publicKey: string;

beforeAll(async () => {
  runDir = createRunDir("petrel-untrusted-");
  // Under the store's gcroots folder, so the roots are real ones.
  queueA = { spool: join(runDir.path, "spool-a"), gcroots: mkdtempSync("/nix/var/nix/gcroots/petrel-test-a-") };
  queueB = { spool: join(runDir.path, "spool-b"), gcroots: mkdtempSync("/nix/var/nix/gcroots/petrel-test-b-") };
  const key = await signingKey(runDir.sub("keys"));
  publicKey = key.publicKey;
  await installHook(join(runDir.path, "hook-a"), queueA);
  await installHook(join(runDir.path, "hook-b"), queueB);
  trusted = await startNixDaemon(runDir, `post-build-hook = ${join(runDir.path, "hook-a")}\nsecret-key-files = ${key.secretFile}\nallowed-users = root\n`, { name: "trusted" });
  untrusted = await startNixDaemon(runDir, `post-build-hook = ${join(runDir.path, "hook-b")}\n`, { name: "untrusted" });
  nowhere = await startNixDaemon(runDir, "", { name: "untrusted-nowhere" });
});
afterAll(async () => {
  await Promise.all([trusted?.stop(), untrusted?.stop(), nowhere?.stop()]);
  for (const queue of [queueA, queueB]) if (queue) rmSync(queue.gcroots, { recursive: true, force: true });
  expect(await runDir.remove()).toEqual([]);
});

const run = promisify(execFile);
const through = (daemon: RunningNixDaemon): NixEnv => ({ ...process.env, ...daemon.clientEnv });
const outputsOf = async (expression: string, daemon: RunningNixDaemon) => [...(await derivationsOf(expression, through(daemon))).values()].flat();
const narinfos = (cache: string) => (existsSync(cache) ? readdirSync(cache).filter((name) => name.endsWith(".narinfo")) : []);

describe("untrusted builds on a node's second nix-daemon", () => {
  it("reach only their own cache, unsigned, while the trusted daemon's reach the trusted cache signed", async () => {
    const mine = graphExpression(`trusted-${Date.now()}`);
    const theirs = graphExpression(`untrusted-${Date.now()}`);
    expect((await nixBuild(mine, through(trusted))).code).toBe(0);
    expect((await nixBuild(theirs, through(untrusted))).code).toBe(0);
    const trustedPaths = await outputsOf(mine, trusted);
    const untrustedPaths = await outputsOf(theirs, untrusted);
    expect([trustedPaths.length, untrustedPaths.length]).toEqual([4, 4]);
    expect([queued(queueA.spool).length, queued(queueB.spool).length]).toEqual([3, 3]);

    const cacheT = join(runDir.path, "cache-t");
    const cacheU = join(runDir.path, "cache-u");
    expect((await uploadOnce(cacheT, queueA)).code).toBe(0);
    expect((await uploadOnce(cacheU, queueB)).code).toBe(0);

    for (const path of trustedPaths) expect(existsSync(narinfo(cacheT, path)), path).toBe(true);
    expect(await verifyInCache(cacheT, trustedPaths, publicKey)).toBe(0);
    expect(narinfos(cacheT)).toHaveLength(trustedPaths.length);
    for (const path of untrustedPaths) {
      expect(existsSync(narinfo(cacheT, path)), path).toBe(false);
      expect(existsSync(narinfo(cacheU, path)), path).toBe(true);
      // The untrusted daemon holds no key: nothing it built carries a signature.
      expect(readFileSync(narinfo(cacheU, path), "utf8")).not.toMatch(/^Sig:/m);
      expect(await signaturesOf(path)).toEqual([]);
    }
    expect(narinfos(cacheU)).toHaveLength(untrustedPaths.length);
    expect(await verifyInCache(cacheU, untrustedPaths, publicKey)).not.toBe(0);
    for (const queue of [queueA, queueB]) expect([queued(queue.spool), readdirSync(queue.gcroots)]).toEqual([[], []]);
  });

  it("with no hook on the untrusted daemon, leave nothing in any spool", async () => {
    const theirs = graphExpression(`nowhere-${Date.now()}`, { failTop: true });
    expect((await nixBuild(theirs, through(nowhere))).code).not.toBe(0);
    const built = (await outputsOf(theirs, nowhere)).filter((path) => !path.includes("-petrel-top-"));
    expect(built.filter((path) => existsSync(path))).toHaveLength(3);
    for (const queue of [queueA, queueB]) expect([queued(queue.spool), readdirSync(queue.gcroots)]).toEqual([[], []]);
    for (const path of built) expect(await signaturesOf(path)).toEqual([]);
  });

  it("share one store: a trusted build reusing an untrusted build's path copies it, unsigned, into the trusted cache", async () => {
    const tag = `shared-${Date.now()}`;
    const shared = `derivation { name = "petrel-shared-${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo made-by-an-untrusted-build > $out" ]; }`;
    // The trusted output names the shared path, so it is in the trusted output's closure.
    const user = `let shared = ${shared}; in derivation { name = "petrel-user-${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo \${shared} > $out" ]; }`;
    expect((await nixBuild(shared, through(untrusted))).code).toBe(0);
    expect((await nixBuild(user, through(trusted))).code).toBe(0);
    const [sharedPath] = await outputsOf(shared, untrusted);
    const userPath = (await outputsOf(user, trusted)).find((path) => path.includes("-petrel-user-"))!;
    // The trusted daemon did not build the shared path again: its hook queued only its own derivation.
    expect(queued(queueA.spool)).toHaveLength(1);
    expect(await signaturesOf(userPath)).toHaveLength(1);
    expect(await signaturesOf(sharedPath!)).toEqual([]);

    const cacheT = join(runDir.path, "cache-t-shared");
    expect((await uploadOnce(cacheT, queueA)).code).toBe(0);
    expect(existsSync(narinfo(cacheT, userPath)), userPath).toBe(true);
    expect(await verifyInCache(cacheT, [userPath], publicKey)).toBe(0);
    // The closure copy carries the untrusted path along as it is, without a signature:
    // a client that requires signatures refuses it from this cache.
    expect(existsSync(narinfo(cacheT, sharedPath!)), sharedPath).toBe(true);
    expect(readFileSync(narinfo(cacheT, sharedPath!), "utf8")).not.toMatch(/^Sig:/m);
    expect(await verifyInCache(cacheT, [sharedPath!], publicKey)).not.toBe(0);
    expect((await uploadOnce(join(runDir.path, "cache-u-shared"), queueB)).code).toBe(0);
  });

  it("can't reach the trusted daemon when their user is not in its allowed-users", async () => {
    const user = runDir.user?.name ?? "nobody";
    const home = runDir.sub("home");
    const buildAs = (daemon: RunningNixDaemon, expression: string) =>
      run("runuser", ["-u", user, "--", "env", `HOME=${home}`, `PATH=${process.env.PATH ?? ""}`, `NIX_REMOTE=${daemon.clientEnv.NIX_REMOTE}`, "nix-build", "--no-out-link", "-E", expression], { cwd: home }).then(
        () => "",
        (error: { stderr: string }) => error.stderr,
      );
    const expression = graphExpression(`as-${user}-${Date.now()}`);
    expect(await buildAs(trusted, expression)).toContain("cannot open connection to remote store");
    // The client sees only a closed connection; the daemon says why.
    expect(readFileSync(join(runDir.path, "trusted", "trusted-daemon.log"), "utf8")).toContain(`user '${user}' is not allowed to connect to the Nix daemon`);
    expect(queued(queueA.spool)).toEqual([]);
    expect(await buildAs(untrusted, expression)).toBe("");
    expect(queued(queueB.spool)).toHaveLength(3);
    expect((await uploadOnce(join(runDir.path, "cache-u-user"), queueB)).code).toBe(0);
  });
});
