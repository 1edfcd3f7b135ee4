import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { createNodeCache, inCache, verifyInCache, type NodeCache } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

/**
 * A node's two nix-daemons on one store: the trusted builds' daemon signs and
 * its hook queues for the trusted cache; the untrusted builds' daemon has no
 * key and its hook marks what it queues, which goes to another cache or nowhere.
 */
let run: RunDir;
let node: NodeCache;
let trusted: RunningNixDaemon;
let untrusted: RunningNixDaemon;
const tag = `untrusted-${Date.now()}`;

beforeAll(async () => {
  run = createRunDir("petrel-untrusted-");
  node = await createNodeCache(run.path, "petrel-trusted-1");
  const hooks = { trusted: await node.installHook(join(run.path, "hook-trusted")), untrusted: await node.installHook(join(run.path, "hook-untrusted"), "--untrusted") };
  trusted = await startNixDaemon(run, `post-build-hook = ${hooks.trusted}\nsecret-key-files = ${node.secretKey}\n`, { confDir: run.sub("nix-trusted") });
  untrusted = await startNixDaemon(run, `post-build-hook = ${hooks.untrusted}\n`, { confDir: run.sub("nix-untrusted") });
});
afterAll(async () => {
  await trusted?.stop();
  await untrusted?.stop();
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
});
