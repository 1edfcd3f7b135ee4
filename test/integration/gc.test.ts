import { execFile } from "node:child_process";
import { existsSync, lutimesSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkout } from "../cluster/builder.js";
import { clusterClients } from "../support/clients.js";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { createNodeCache, petrel, type NodeCache } from "../support/nix-cache.js";
import { derivationsOf, graphExpression } from "../support/nix-graph.js";

/** `petrel gc` against Debian's real nix-daemon, with Petrel's post-build-hook queueing what it builds. */
const exec = promisify(execFile);
const { nomad } = clusterClients();
let run: RunDir;
let node: NodeCache;
let daemon: RunningNixDaemon;
let gcroots: string;
const tag = `gc-${Date.now()}`;
const elevenDaysAgo = new Date(Date.now() - 11 * 24 * 60 * 60 * 1000);

beforeAll(async () => {
  run = createRunDir("petrel-gc-");
  gcroots = run.sub("gcroots");
  node = await createNodeCache(run.path);
  daemon = await startNixDaemon(run, `post-build-hook = ${await node.installHook(join(run.path, "post-build-hook"))}\n`);
});
afterAll(async () => {
  await daemon?.stop();
  node?.remove();
  expect(await run?.remove()).toEqual([]);
});

const gc = async (...flags: string[]) =>
  JSON.parse((await petrel(["gc", "--gcroots", gcroots, "--spool", node.spool, "--upload-gcroots", node.uploadRoots, ...flags], daemon.clientEnv)).stdout) as Record<string, unknown>;

/**
 * Builds a graph through the daemon with its GC root at `root`, as a build
 * script does with GCROOT. The root holds the top output; the intermediates,
 * which the top does not refer to, only the upload roots hold.
 */
async function buildRooted(name: string, root: string): Promise<{ top: string; intermediates: string[]; derivations: [string, string[]][] }> {
  const expression = graphExpression(`${tag}-${name}`);
  const env = { ...process.env, ...daemon.clientEnv };
  await exec("nix-build", ["-o", root, "-E", expression], { env });
  const derivations = [...(await derivationsOf(expression, env))];
  const top = derivations.find(([drv]) => drv.includes("-petrel-top-"))![1][0]!;
  const intermediates = derivations.filter(([drv]) => !drv.includes("-petrel-top-"));
  return { top, intermediates: intermediates.flatMap(([, outputs]) => outputs), derivations: intermediates };
}

/** Uploads what is queued, so that only the build's own root holds its paths. */
const drain = () => node.uploadOnce(join(run.path, "cache"));

const valid = (path: string) =>
  exec("nix-store", ["--check-validity", path], { env: { ...process.env, ...daemon.clientEnv } }).then(
    () => true,
    () => false,
  );

const age = (link: string) => lutimesSync(link, elevenDaysAgo, elevenDaysAgo);

describe("petrel gc", () => {
  it("with --dry-run removes nothing, and names the roots that would go", async () => {
    const root = join(gcroots, "dry", "c0-default");
    const { top } = await buildRooted("dry", root);
    await drain();
    age(root);
    const answer = await gc("--dry-run", "--days", "7");
    expect(answer).toMatchObject({ dryRun: true, oldRoots: [root], keptRoots: 0 });
    // Looking makes nothing: a spool that isn't there stays so.
    const nowhere = join(run.path, "no-spool-yet");
    await petrel(["gc", "--dry-run", "--no-collect", "--gcroots", gcroots, "--spool", nowhere, "--upload-gcroots", node.uploadRoots], daemon.clientEnv);
    expect(existsSync(nowhere)).toBe(false);
    expect(answer.deadNow).toBeGreaterThanOrEqual(1);
    expect({ root: existsSync(root), top: await valid(top) }).toEqual({ root: true, top: true });
    rmSync(join(gcroots, "dry"), { recursive: true });
  });

  let queued: Awaited<ReturnType<typeof buildRooted>>;
  let deadLetter: string[];

  it("removes build roots older than --days and collects what they held, never a fresh build's or a queued path", async () => {
    const oldRoot = join(gcroots, "widget", "c1-default");
    const old = await buildRooted("old", oldRoot);
    const fresh = await buildRooted("fresh", join(gcroots, "widget", "c2-default"));
    await drain();
    // Built and not yet uploaded: its build root is old, its upload roots are what keep it.
    const queuedRoot = join(gcroots, "gadget", "c3-default");
    queued = await buildRooted("queued", queuedRoot);
    expect(node.queued()).toHaveLength(3);
    age(oldRoot);
    age(queuedRoot);
    // Someone removed one upload root: gc roots the path again before collecting.
    unlinkSync(join(node.uploadRoots, basename(queued.intermediates[0]!)));
    // A dead letter whose root went too: kept as well, for an operator may move it back.
    const [drv, outputs] = queued.derivations.find(([, outputs]) => !outputs.includes(queued.intermediates[0]!))!;
    renameSync(join(node.spool, basename(drv)), join(node.spool, ".dead", basename(drv)));
    for (const output of outputs) unlinkSync(join(node.uploadRoots, basename(output)));
    deadLetter = outputs;

    const answer = await gc("--days", "7");
    // The store first: a gc that ignored the spool fails here, on the paths it took.
    const stillQueued = [queued.top, ...queued.intermediates];
    expect(await Promise.all(stillQueued.map(valid))).toEqual(stillQueued.map(() => true));
    expect({ old: await valid(old.top), fresh: await valid(fresh.top) }).toEqual({ old: false, fresh: true });
    expect(answer).toMatchObject({ removedRoots: 2, keptRoots: 1, queued: 3, reRooted: 1 + deadLetter.length, released: 0, goneBeforeUpload: [] });
    expect((answer.collected as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
    expect(readdirSync(gcroots)).toEqual(["widget"]);
    expect(readdirSync(join(gcroots, "widget"))).toEqual(["c2-default"]);
    expect(readdirSync(join(node.uploadRoots, "kept-by-gc")).sort()).toEqual([queued.intermediates[0]!, ...deadLetter].map((path) => basename(path)).sort());
  });

  it("lets go of the roots it made once their entries are uploaded, and collects those paths then", async () => {
    await drain();
    const answer = await gc("--days", "7");
    expect(answer).toMatchObject({ removedRoots: 0, keptRoots: 1, queued: 1, reRooted: 0, released: 1 });
    expect(readdirSync(join(node.uploadRoots, "kept-by-gc")).sort()).toEqual(deadLetter.map((path) => basename(path)).sort());
    const uploaded = [queued.top, ...queued.intermediates.filter((path) => !deadLetter.includes(path))];
    expect(await Promise.all(uploaded.map(valid))).toEqual(uploaded.map(() => false));
    expect(await Promise.all(deadLetter.map(valid))).toEqual(deadLetter.map(() => true));
  });

  it("says why and exits 1 when Nix fails, and 2 on a bad option", async () => {
    const failure = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      petrel(["gc", ...args], env).then(
        () => expect.fail(`petrel gc ${args.join(" ")} succeeded`),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    const noDaemon = await failure(["--gcroots", gcroots, "--spool", node.spool, "--upload-gcroots", node.uploadRoots], {
      NIX_REMOTE: `unix://${join(run.path, "no-daemon.socket")}`,
    });
    expect(noDaemon).toMatchObject({ code: 1, stdout: "" });
    expect(noDaemon.stderr).toMatch(/^petrel gc: nix-store --gc failed: .*no-daemon\.socket.*\n$/);
    const bad = await failure(["--days", "seven"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--days <n>' argument 'seven' is invalid");
  });
});

describe("hcl/gc.hcl on the real Nomad", () => {
  it("is a daily sysbatch job, never overlapping, that runs petrel gc with the builder's and uploader's folders", async () => {
    const hcl = readFileSync(join(checkout, "hcl/gc.hcl"), "utf8");
    const job = await nomad.jobs.parse(hcl, { days: 3 });
    expect({ type: job.Type, periodic: job.Periodic }).toMatchObject({ type: "sysbatch", periodic: { Specs: ["@daily"], ProhibitOverlap: true } });
    expect(job.TaskGroups?.[0]?.Tasks[0]?.Config).toEqual({
      command: "/usr/bin/node",
      args: ["/opt/petrel/dist/cli.js", "gc", "--days", "3", "--gcroots", "/nix/var/nix/gcroots/petrel", "--spool", "/var/spool/petrel/upload", "--upload-gcroots", "/nix/var/nix/gcroots/petrel-upload"],
    });
  });
});
