import { execFile } from "node:child_process";
import { existsSync, lutimesSync, readFileSync, readdirSync, unlinkSync } from "node:fs";
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
async function buildRooted(name: string, root: string): Promise<{ top: string; intermediates: string[] }> {
  const expression = graphExpression(`${tag}-${name}`);
  const env = { ...process.env, ...daemon.clientEnv };
  await exec("nix-build", ["-o", root, "-E", expression], { env });
  const derivations = [...(await derivationsOf(expression, env))];
  const top = derivations.find(([drv]) => drv.includes("-petrel-top-"))![1][0]!;
  return { top, intermediates: derivations.filter(([drv]) => !drv.includes("-petrel-top-")).flatMap(([, outputs]) => outputs) };
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
    expect(answer.wouldCollect).toBeGreaterThanOrEqual(1);
    expect({ root: existsSync(root), top: await valid(top) }).toEqual({ root: true, top: true });
    unlinkSync(root);
  });

  it("removes build roots older than --days and collects what they held, never a fresh build's or a queued path", async () => {
    const oldRoot = join(gcroots, "widget", "c1-default");
    const old = await buildRooted("old", oldRoot);
    const fresh = await buildRooted("fresh", join(gcroots, "widget", "c2-default"));
    await drain();
    // Built and not yet uploaded: its build root is old, its upload roots are what keep it.
    const queuedRoot = join(gcroots, "gadget", "c3-default");
    const queued = await buildRooted("queued", queuedRoot);
    expect(node.queued()).toHaveLength(3);
    age(oldRoot);
    age(queuedRoot);
    // Someone removed one upload root: gc makes it again before collecting.
    unlinkSync(join(node.uploadRoots, basename(queued.intermediates[0]!)));

    const answer = await gc("--days", "7");
    expect(answer).toMatchObject({ removedRoots: 2, keptRoots: 1, queued: 3, reRooted: 1, goneBeforeUpload: [] });
    expect((answer.collected as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
    expect({ old: await valid(old.top), fresh: await valid(fresh.top) }).toEqual({ old: false, fresh: true });
    const stillQueued = [queued.top, ...queued.intermediates];
    expect(await Promise.all(stillQueued.map(valid))).toEqual(stillQueued.map(() => true));
    expect(readdirSync(gcroots)).toEqual(["widget"]);
    expect(readdirSync(join(gcroots, "widget"))).toEqual(["c2-default"]);
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
