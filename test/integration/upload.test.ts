import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { spawnDaemon, stopDaemon } from "../cluster/processes.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { installHook, narinfo, queued, signingKey, uploadOnce, verifyInCache as verify } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
let runDir: RunDir;
let daemon: RunningNixDaemon;
let spool: string;
let gcroots: string;
let publicKey: string;

beforeAll(async () => {
  runDir = createRunDir("petrel-upload-");
  spool = join(runDir.path, "spool");
  gcroots = mkdtempSync("/nix/var/nix/gcroots/petrel-test-");
  const key = await signingKey(runDir.sub("keys"));
  publicKey = key.publicKey;
  const hook = join(runDir.path, "post-build-hook");
  await installHook(hook, { spool, gcroots });
  // The daemon signs what it builds; the uploader never holds the key.
  daemon = await startNixDaemon(runDir, `post-build-hook = ${hook}\nsecret-key-files = ${key.secretFile}\n`);
});
afterAll(async () => {
  await daemon?.stop();
  rmSync(gcroots, { recursive: true, force: true });
  expect(await runDir.remove()).toEqual([]);
});

const upload = (cache: string, ...flags: string[]) => uploadOnce(cache, { spool, gcroots }, ...flags);

describe("petrel upload", () => {
  it("uploads every derivation built, the failed build's intermediates too, signed, and then lets go of their GC roots", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    const good = graphExpression(`up-ok-${Date.now()}`);
    const failing = graphExpression(`up-fail-${Date.now()}`, { failTop: true });
    expect((await nixBuild(good, env)).code).toBe(0);
    expect((await nixBuild(failing, env)).code).not.toBe(0);
    const built = [...(await derivationsOf(good, env)).values(), ...[...(await derivationsOf(failing, env))].filter(([drv]) => !drv.includes("-petrel-top-")).map(([, outputs]) => outputs)].flat();
    expect(built).toHaveLength(7);
    expect(queued(spool)).toHaveLength(5);

    const cache = join(runDir.path, "cache");
    const result = await upload(cache, "--batch", "2");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"uploaded":5');
    for (const path of built) expect(existsSync(narinfo(cache, path)), path).toBe(true);
    expect(await verify(cache, built, publicKey)).toBe(0);
    // The check can fail: another key's signature is not enough.
    expect(await verify(cache, built, "someone-else-1:" + publicKey.split(":")[1]!.replace(/^./, (c) => (c === "A" ? "B" : "A")))).not.toBe(0);
    expect(queued(spool)).toEqual([]);
    expect(readdirSync(gcroots)).toEqual([]);
  });

  it("retries a path that won't upload with backoff, then sets it aside without holding back the others", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    expect((await nixBuild(graphExpression(`up-dead-${Date.now()}`), env)).code).toBe(0);
    const gone = `/nix/store/${"0".repeat(32)}-petrel-gone`;
    writeFileSync(join(spool, `${"0".repeat(32)}-petrel-gone.drv`), `${gone}.drv\n${gone}\n`);

    const cache = join(runDir.path, "cache-2");
    const result = await upload(cache, "--attempts", "3", "--backoff-ms", "50");
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { msg: string; drv?: string; attempts?: number });
    expect(lines.filter((line) => line.msg === "upload: failed, will retry").map((line) => line.attempts)).toEqual([1, 2]);
    expect(lines.find((line) => line.msg.startsWith("upload: gave up"))).toMatchObject({ drv: `${gone}.drv`, attempts: 3 });
    expect(readdirSync(join(spool, ".dead"))).toEqual([`${"0".repeat(32)}-petrel-gone.drv`]);
    expect(queued(spool)).toEqual([]);
    expect(readdirSync(cache).filter((name) => name.endsWith(".narinfo"))).toHaveLength(4);
  });

  it("keeps draining as the daemon builds, and after a kill -9 resumes with what was queued meanwhile", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    const cache = join(runDir.path, "cache-3");
    const start = () =>
      spawnDaemon("petrel-upload", process.execPath, ["--import", "tsx", cli, "upload", "--to", `file://${cache}`, "--spool", spool, "--gcroots", gcroots, "--poll-ms", "100"], {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH },
        logFile: join(runDir.path, "upload.log"),
      });
    const allUploaded = (paths: string[]) => waitUntil("the paths in the cache", () => Promise.resolve(paths.every((path) => existsSync(narinfo(cache, path))) ? true : undefined));

    const first = start();
    const before = graphExpression(`up-live-${Date.now()}`);
    expect((await nixBuild(before, env)).code).toBe(0);
    await allUploaded([...(await derivationsOf(before, env)).values()].flat());

    process.kill(-first.pid, "SIGKILL");
    await first.exited;
    const during = graphExpression(`up-down-${Date.now()}`);
    expect((await nixBuild(during, env)).code).toBe(0);
    expect(queued(spool)).toHaveLength(3);

    const second = start();
    await allUploaded([...(await derivationsOf(during, env)).values()].flat());
    await stopDaemon(second);
    expect(await second.exited).toBe(0);
    expect(readdirSync(gcroots)).toEqual([]);
  });
});
