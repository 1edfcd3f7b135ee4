import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { freePorts } from "../cluster/ports.js";
import { spawnDaemon, stopDaemon } from "../cluster/processes.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { createNodeCache, inCache, verifyInCache, type NodeCache } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
let runDir: RunDir;
let node: NodeCache;
let daemon: RunningNixDaemon;

beforeAll(async () => {
  runDir = createRunDir("petrel-upload-");
  node = await createNodeCache(runDir.path);
  // The daemon signs what it builds; the uploader never holds the key.
  daemon = await startNixDaemon(runDir, `post-build-hook = ${await node.installHook(join(runDir.path, "post-build-hook"))}\nsecret-key-files = ${node.secretKey}\n`);
});
afterAll(async () => {
  await daemon?.stop();
  node?.remove();
  expect(await runDir.remove()).toEqual([]);
});

/** The kinds of NAR files in a file:// cache, by their names' ends (paths of equal contents share one). */
const narKinds = (cache: string) => [...new Set(readdirSync(join(cache, "nar")).map((name) => name.replace(/^[a-z0-9]+/, "")))];

describe("petrel upload", () => {
  it("uploads every derivation built, the failed build's intermediates too, signed, and then lets go of their GC roots", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    const good = graphExpression(`up-ok-${Date.now()}`);
    const failing = graphExpression(`up-fail-${Date.now()}`, { failTop: true });
    expect((await nixBuild(good, env)).code).toBe(0);
    expect((await nixBuild(failing, env)).code).not.toBe(0);
    const built = [...(await derivationsOf(good, env)).values(), ...[...(await derivationsOf(failing, env))].filter(([drv]) => !drv.includes("-petrel-top-")).map(([, outputs]) => outputs)].flat();
    expect(built).toHaveLength(7);
    expect(node.queued()).toHaveLength(5);

    const cache = join(runDir.path, "cache");
    const result = await node.uploadOnce(cache, "--batch", "2");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"uploaded":5');
    for (const path of built) expect(inCache(cache, path), path).toBe(true);
    expect(await verifyInCache(cache, built, node.publicKey)).toBe(0);
    // A cache URI that names no compression gets zstd, which Nix reads back (verify checks each NAR's contents).
    expect(narKinds(cache)).toEqual([".nar.zst"]);
    // The check can fail: another key's signature is not enough.
    expect(await verifyInCache(cache, built, "someone-else-1:" + node.publicKey.split(":")[1]!.replace(/^./, (c) => (c === "A" ? "B" : "A")))).not.toBe(0);
    expect(node.queued()).toEqual([]);
    expect(readdirSync(node.uploadRoots)).toEqual([]);
  });

  it("retries a path that won't upload with backoff, then sets it aside without holding back the others", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    expect((await nixBuild(graphExpression(`up-dead-${Date.now()}`), env)).code).toBe(0);
    const gone = `/nix/store/${"0".repeat(32)}-petrel-gone`;
    writeFileSync(join(node.spool, `${"0".repeat(32)}-petrel-gone.drv`), `drv ${gone}.drv\nout ${gone}\nend\n`);

    const cache = join(runDir.path, "cache-2");
    const result = await node.uploadOnce(`${cache}?compression=xz`, "--attempts", "3", "--backoff-ms", "50");
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { msg: string; drv?: string; attempts?: number });
    expect(lines.filter((line) => line.msg === "upload: failed, will retry").map((line) => line.attempts)).toEqual([1, 2]);
    expect(lines.find((line) => line.msg.startsWith("upload: gave up"))).toMatchObject({ drv: `${gone}.drv`, attempts: 3 });
    expect(readdirSync(join(node.spool, ".dead"))).toEqual([`${"0".repeat(32)}-petrel-gone.drv`]);
    expect(node.queued()).toEqual([]);
    expect(readdirSync(cache).filter((name) => name.endsWith(".narinfo"))).toHaveLength(4);
    // The compression the URI names is kept.
    expect(narKinds(cache)).toEqual([".nar.xz"]);
  });

  it("keeps draining as the daemon builds, and after a kill -9 resumes with what was queued meanwhile, counting it in its metrics", async () => {
    const env = { ...process.env, ...daemon.clientEnv };
    const cache = join(runDir.path, "cache-3");
    const [metricsPort] = await freePorts(1);
    const start = (...flags: string[]) =>
      spawnDaemon("petrel-upload", process.execPath, ["--import", "tsx", cli, "upload", "--to", `file://${cache}`, "--spool", node.spool, "--gcroots", node.uploadRoots, "--poll-ms", "100", ...flags], {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH },
        logFile: join(runDir.path, "upload.log"),
      });
    const allUploaded = (paths: string[]) => waitUntil("the paths in the cache", () => Promise.resolve(paths.every((path) => inCache(cache, path)) ? true : undefined));

    const first = start();
    const before = graphExpression(`up-live-${Date.now()}`);
    expect((await nixBuild(before, env)).code).toBe(0);
    await allUploaded([...(await derivationsOf(before, env)).values()].flat());
    // Builds come first: the drain and its nix copy processes run at niceness 10.
    expect(nicenessOf(first.pid)).toBe(10);
    // A path is in the cache a moment before its spool entry is done with.
    await waitUntil("an empty spool", () => Promise.resolve(node.queued().length === 0 ? true : undefined));

    process.kill(-first.pid, "SIGKILL");
    await first.exited;
    const during = graphExpression(`up-down-${Date.now()}`);
    expect((await nixBuild(during, env)).code).toBe(0);
    expect(node.queued()).toHaveLength(3);

    const second = start("--metrics", `127.0.0.1:${metricsPort}`);
    await allUploaded([...(await derivationsOf(during, env)).values()].flat());
    const metrics = await waitUntil("the uploader's metrics after the drain", async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text().catch(() => "");
      return /^petrel_upload_derivations_total\{outcome="uploaded"\} 3$/m.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/^petrel_upload_queue_depth 0$/m);
    expect(metrics).toMatch(new RegExp(`^petrel_upload_dead_letters ${readdirSync(join(node.spool, ".dead")).length}$`, "m"));
    expect(metrics).not.toMatch(/^petrel_upload_derivations_total\{outcome="failed"\}/m);
    await stopDaemon(second);
    expect(await second.exited).toBe(0);
    expect(readdirSync(node.uploadRoots)).toEqual([]);
  });
});

/** A process's niceness: the 19th field of /proc/<pid>/stat, counted after the command's closing parenthesis. */
function nicenessOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}
