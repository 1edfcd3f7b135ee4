import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { petrelCommand } from "../cluster/builder.js";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

/**
 * A node's two nix-daemons on one store: the trusted builds' daemon signs and
 * its hook queues for the trusted cache; the untrusted builds' daemon has no
 * key and its hook marks what it queues, which goes to another cache or nowhere.
 */
const exec = promisify(execFile);
let run: RunDir;
let trusted: RunningNixDaemon;
let untrusted: RunningNixDaemon;
let spool: string;
let uploadRoots: string;
let publicKey: string;
const tag = `untrusted-${Date.now()}`;

const petrel = (...args: string[]) => exec(petrelCommand[0]!, [...petrelCommand.slice(1), ...args]);

beforeAll(async () => {
  run = createRunDir("petrel-untrusted-");
  spool = join(run.path, "spool");
  uploadRoots = mkdtempSync("/nix/var/nix/gcroots/petrel-test-");
  const keys = run.sub("keys");
  await exec("nix-store", ["--generate-binary-cache-key", "petrel-trusted-1", join(keys, "secret"), join(keys, "public")]);
  publicKey = readFileSync(join(keys, "public"), "utf8").trim();
  const hooks = { trusted: join(run.path, "hook-trusted"), untrusted: join(run.path, "hook-untrusted") };
  await petrel("upload", "--install-hook", hooks.trusted, "--spool", spool, "--gcroots", uploadRoots);
  await petrel("upload", "--install-hook", hooks.untrusted, "--untrusted", "--spool", spool, "--gcroots", uploadRoots);
  trusted = await startNixDaemon(run, `post-build-hook = ${hooks.trusted}\nsecret-key-files = ${join(keys, "secret")}\n`, { confDir: run.sub("nix-trusted") });
  untrusted = await startNixDaemon(run, `post-build-hook = ${hooks.untrusted}\n`, { confDir: run.sub("nix-untrusted") });
});
afterAll(async () => {
  await trusted?.stop();
  await untrusted?.stop();
  rmSync(uploadRoots, { recursive: true, force: true });
  expect(await run?.remove()).toEqual([]);
});

/** Builds a small graph through one daemon and answers every output it made. */
async function buildThrough(daemon: RunningNixDaemon, name: string): Promise<string[]> {
  const expression = graphExpression(`${tag}-${name}`);
  const env = { ...process.env, ...daemon.clientEnv };
  expect((await nixBuild(expression, env)).code).toBe(0);
  return [...(await derivationsOf(expression, env)).values()].flat();
}

const cached = (cache: string, path: string) => existsSync(join(cache, `${path.slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`));
const queued = () => readdirSync(spool).filter((name) => !name.startsWith("."));

const upload = (trustedCache: string, ...flags: string[]) =>
  petrel("upload", "--once", "--to", `file://${trustedCache}`, "--spool", spool, "--gcroots", uploadRoots, ...flags).then(({ stdout }) => stdout);

describe("untrusted builds and the binary caches", () => {
  it("sends the untrusted daemon's paths to the untrusted cache, never to the trusted one", async () => {
    const mine = await buildThrough(trusted, "main");
    const theirs = await buildThrough(untrusted, "pr");
    expect(queued().filter((name) => name.startsWith("untrusted-"))).toHaveLength(3);

    const [trustedCache, untrustedCache] = [join(run.path, "cache-trusted"), join(run.path, "cache-untrusted")];
    await upload(trustedCache, "--untrusted-to", `file://${untrustedCache}`);
    expect({ mine: mine.map((p) => cached(trustedCache, p)), theirs: theirs.map((p) => cached(trustedCache, p)) }).toEqual({ mine: mine.map(() => true), theirs: theirs.map(() => false) });
    expect({ mine: mine.map((p) => cached(untrustedCache, p)), theirs: theirs.map((p) => cached(untrustedCache, p)) }).toEqual({ mine: mine.map(() => false), theirs: theirs.map(() => true) });
    // The trusted cache verifies with the trusted key; the untrusted daemon signed nothing.
    const verify = (cache: string, paths: string[]) =>
      exec("nix", ["--extra-experimental-features", "nix-command", "store", "verify", "--store", `file://${cache}`, "--sigs-needed", "1", "--trusted-public-keys", publicKey, ...paths]).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
    expect(await verify(trustedCache, mine)).toBe(0);
    expect(await verify(untrustedCache, theirs)).not.toBe(0);
    expect(queued()).toEqual([]);
  });

  it("uploads an untrusted build's paths nowhere without an untrusted cache, and lets go of them", async () => {
    const theirs = await buildThrough(untrusted, "pr-2");
    const trustedCache = join(run.path, "cache-trusted-2");
    const log = await upload(trustedCache);
    expect(theirs.map((p) => cached(trustedCache, p))).toEqual(theirs.map(() => false));
    expect(log).toContain('"discarded":3');
    expect(queued()).toEqual([]);
    expect(readdirSync(uploadRoots)).toEqual([]);
  });
});
