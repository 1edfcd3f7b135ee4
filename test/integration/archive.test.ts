import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFolder, type BuildArchive } from "../../src/archive/build-archive.js";
import type { BuildSummary } from "../../src/builds/list-builds.js";
import { openArchive } from "../../src/archive/open-archive.js";
import { readConfig } from "../../src/config.js";
import { createConsul, type Consul } from "../../src/consul/client.js";
import { consulKeys } from "../../src/consul/keys.js";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { createNomad, type Nomad } from "../../src/nomad/client.js";
import { registerBuilder } from "../cluster/builder.js";
import { startCluster, type Cluster } from "../cluster/cluster.js";
import { startGitea, type RunningGitea } from "../cluster/gitea.js";
import { spawnPetrelServe, type PetrelServe } from "../cluster/petrel-serve.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { startS3, type RunningS3 } from "../cluster/s3.js";
import { waitUntil } from "../cluster/wait.js";
import { GiteaClient, type GiteaRepo, type GiteaStatus } from "../forge/gitea-api.js";
import { pushCommit } from "../forge/gitea-git.js";
import { launchChromium } from "../support/browser.js";

/**
 * Builds outliving Nomad: a real build archived when it ends, then forgotten
 * by Nomad (its node's allocation collected, then the job), and still shown
 * by the commit status's link, the page in Chromium and `petrel logs`. A
 * Nomad and Consul of this file's own, because forcing Nomad's garbage
 * collection would take other files' finished builds with it.
 */
const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const prefix = "petrel-archive";
const secret = "archive-secret-a87ff679a2f3";
const maxLog = 4096;
const bucket = "ci-history";
let run: RunDir;
let cluster: Cluster;
let nomad: Nomad;
let consul: Consul;
let gitea: RunningGitea;
let alice: GiteaClient;
let builder: string;
let s3: RunningS3;
let browser: BrowserContext;

beforeAll(async () => {
  run = createRunDir("petrel-archive-");
  [cluster, gitea, s3] = await Promise.all([startCluster(), startGitea(), startS3(run, { buckets: [bucket] })]);
  const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr });
  [nomad, consul] = [createNomad(config.nomad), createConsul(config.consul)];
  alice = await new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token).createUser("alice");
  builder = await registerBuilder(nomad, { id: "archive-builder" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (gitea) expect(await gitea.stop()).toEqual([]);
  await s3?.stop();
  if (cluster) expect(await cluster.stop()).toEqual([]);
  expect(await run?.remove()).toEqual([]);
});

type Backend = { name: string; env: () => Record<string, string> };
const backends: Backend[] = [
  { name: "a folder", env: () => ({ PETREL_ARCHIVE: `file://${run.sub("archive")}` }) },
  {
    name: "a real S3 server (SeaweedFS)",
    env: () => ({
      PETREL_ARCHIVE: `s3://${bucket}/petrel/archive`,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    }),
  },
];

/** `petrel serve` on this file's cluster, archiving to `backend`. */
const servePetrel = (backend: Backend) =>
  spawnPetrelServe({
    nomadAddr: cluster.nomadAddr,
    consulAddr: cluster.consulAddr,
    logDir: run.path,
    env: { PATH: process.env.PATH, PETREL_KV_PREFIX: prefix, PETREL_ARCHIVE_MAX_LOG: String(maxLog), ...backend.env() },
  });

/** `petrel …` as an operator runs it, with NOMAD_ADDR and the archive's variables only. */
function petrelCli(args: string[], backend: Backend) {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { env: { PATH: process.env.PATH, NOMAD_ADDR: cluster.nomadAddr, ...backend.env() } });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise<{ status: number | null; stdout: string }>((resolve) => child.on("close", (status) => resolve({ status, stdout })));
}

/** A repository of alice's with its config and its webhook to `petrel`. */
async function hookedRepo(petrel: PetrelServe, name: string): Promise<GiteaRepo> {
  const repo = await alice.createRepo(name);
  await writeRepoConfig(consul, prefix, repo.clone_url, { hook: { secret }, gitea: { url: gitea.url, token: alice.token }, trusted: { senders: ["alice"] }, builder, inject: "DEPLOY_TOKEN=archive-inject-1679091c5a88" });
  await alice.addWebhook(alice.username, repo.name, { url: `${petrel.url}/hook`, secret, events: ["push"] });
  return repo;
}

/** Pushes `script` as the `.albatros` of `branch`: the build's job and commit once its status is `until` (final by default). */
async function pushBuild(repo: GiteaRepo, branch: string, script: string, until = (status: GiteaStatus) => status.status !== "pending") {
  const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch, files: { ".albatros": { content: `#!/bin/sh\n${script}\n`, executable: true } }, message: `CI: ${script}` });
  const status = await waitUntil(`the status of ${repo.full_name}@${sha}`, async () => (await alice.readStatuses(alice.username, repo.name, sha)).find(until), { timeoutMs: 90_000, intervalMs: 250 });
  return { job: new URL(status.target_url).searchParams.get("job")!, status, sha };
}

/** A new repository's first build: its job and final status. */
async function buildOf(petrel: PetrelServe, name: string, script: string): Promise<{ job: string; status: GiteaStatus }> {
  return pushBuild(await hookedRepo(petrel, name), "main", script);
}

const archived = (archive: BuildArchive, job: string) => waitUntil(`${job} in the archive`, () => archive.record(job), { timeoutMs: 30_000, intervalMs: 200 });

const text = async (log: Readable | undefined) => (log === undefined ? undefined : Buffer.concat(await log.toArray()).toString("utf8"));

const getText = async (url: string) => {
  const answer = await fetch(url);
  return { status: answer.status, text: await answer.text() };
};

/** Collects a finished build's allocation on its node, as the node's own GC would: its logs go, the job stays. */
async function collectAllocation(job: string): Promise<void> {
  const [alloc] = (await nomad.jobs.allocations(job)).value;
  const collected = await fetch(`${cluster.nomadAddr}/v1/client/allocation/${alloc!.ID}/gc`, { method: "PUT" });
  expect(collected.status).toBe(200);
  await expect(nomad.logs(alloc!.ID, { task: "executor", type: "stdout" })).rejects.toThrow();
}

/** Nomad's servers collect the finished job, as they do `job_gc_threshold` after it ends. */
async function collectJobs(job: string): Promise<void> {
  expect((await fetch(`${cluster.nomadAddr}/v1/system/gc`, { method: "PUT" })).status).toBe(200);
  await waitUntil(`Nomad to forget ${job}`, async () => ((await nomad.jobs.find(job)) === undefined ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
}

const script = [
  `echo "first line <b>not markup</b>"`,
  `echo "to stderr" >&2`,
  `echo "last line"`,
  "exit 3",
].join("\n");
const stdout = "first line <b>not markup</b>\nlast line\n";

describe.each(backends)("builds archived to $name", (backend) => {
  let petrel: PetrelServe;
  let archive: BuildArchive;
  beforeAll(async () => {
    petrel = await servePetrel(backend);
    const config = readConfig({ ...backend.env() });
    archive = await openArchive(config.archive!);
  });
  afterAll(() => petrel?.stop());

  it("keeps the status link, the page and `petrel logs` showing the build after Nomad forgets it", async () => {
    const { job, status } = await buildOf(petrel, `forgotten-${backend.name.length}`, script);
    expect(status).toMatchObject({ status: "failure", description: "exit code 3" });
    const record = await archived(archive, job);
    expect(record.status).toMatchObject({ job, state: "failure", description: "exit code 3", finished: true, exitCode: 3 });
    expect(record.logs).toContainEqual({ task: "executor", type: "stdout", bytes: Buffer.byteLength(stdout), truncated: false });
    // The trusted build had a secrets URL in its meta: a capability, never archived.
    expect((await nomad.jobs.get(job)).Meta?.SECRETS_URL).toMatch(/^http/);
    expect(JSON.stringify(record)).not.toMatch(/SECRETS_URL|\/secrets|archive-inject/);

    expect(await getText(`${status.target_url}&log=stdout`)).toEqual({ status: 200, text: stdout });
    const stderr = await getText(`${status.target_url}&log=stderr`);
    expect(stderr.text).toContain("to stderr\n");

    // The node collects the allocation and its logs; the job is still in Nomad.
    await collectAllocation(job);
    expect(await getText(`${status.target_url}&log=stdout`)).toEqual({ status: 200, text: stdout });
    expect(await getText(`${status.target_url}&log=stdout&offset=11`)).toEqual({ status: 200, text: stdout.slice(11) });

    await collectJobs(job);
    const json = await fetch(status.target_url, { headers: { accept: "application/json" } });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ job, state: "failure", description: "exit code 3", archivedAt: record.archivedAt });
    expect(await getText(`${status.target_url}&log=stdout&follow=1`)).toEqual({ status: 200, text: stdout });
    expect(await getText(`${status.target_url}&log=stderr`)).toEqual(stderr);

    const page = await browser.newPage();
    await page.goto(status.target_url);
    await page.locator("body[data-final=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#state").textContent()).toBe("failure");
    expect(await page.locator("#stdout").textContent()).toBe(stdout);
    expect(await page.locator("#stdout b").count()).toBe(0);
    expect(await page.locator("#stderr").textContent()).toBe(stderr.text);
    await page.close();

    expect(await petrelCli(["logs", job], backend)).toEqual({ status: 0, stdout });
    const shown = await petrelCli(["status", job], backend);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^state: +failure \(exit code 3\)$/m);
    expect(shown.stdout).toMatch(new RegExp(`^archived: +${record.archivedAt}$`, "m"));
  });

  it("keeps a long log's first PETREL_ARCHIVE_MAX_LOG bytes, with a notice of the cut", async () => {
    const { job } = await buildOf(petrel, `long-log-${backend.name.length}`, `head -c 20000 /dev/zero | tr '\\0' 'x'`);
    const record = await archived(archive, job);
    expect(record.logs).toContainEqual({ task: "executor", type: "stdout", bytes: maxLog, truncated: true });
    const log = await text(await archive.log(job, "executor", "stdout"));
    expect(log).toBe(`${"x".repeat(maxLog)}\n[petrel: the archive keeps this log's first 4096 bytes only; PETREL_ARCHIVE_MAX_LOG sets how much]\n`);
  });
});

describe("archiving across replicas and restarts", () => {
  const backend = backends[0]!;
  let archive: BuildArchive;
  beforeAll(async () => {
    archive = await openArchive(readConfig(backend.env()).archive!);
  });

  it("archives a build once with two replicas, and a replica's resync finishes an archiving cut short", async () => {
    const replicas = [await servePetrel(backend), await servePetrel(backend)];
    try {
      const { job } = await buildOf(replicas[0]!, "two-replicas", "echo once");
      await archived(archive, job);
      const lines = () => replicas.map((replica) => readFileSync(replica.daemon.logFile!, "utf8").split("\n").filter((line) => line.includes('"build archived"') && line.includes(job)).length);
      await waitUntil("the claim marked archived", async () => ((await consul.kv.get(consulKeys.reported(prefix, job)))?.Value?.includes('"archived":true') ? true : undefined));
      expect(lines().reduce((sum, count) => sum + count, 0)).toBe(1);
      const counted = await Promise.all(replicas.map(async (replica) => Number(/^petrel_builds_archived_total\{result="archived"\} (\d+)$/m.exec(await (await fetch(`${replica.url}/metrics`)).text())?.[1] ?? 0)));
      expect(counted.reduce((sum, count) => sum + count, 0)).toBe(1);

      // A replica stopped after the claim, with the logs written but not the record: what it leaves.
      await Promise.all(replicas.map((replica) => replica.stop()));
      rmSync(join(run.sub("archive"), buildFolder(job)!, "build.json"));
      await consul.kv.set(consulKeys.reported(prefix, job), JSON.stringify({ state: "success", description: "exit code 0" }));
      expect(await archive.record(job)).toBeUndefined();

      replicas.splice(0, 2, await servePetrel(backend));
      const record = await archived(archive, job);
      expect(record.status).toMatchObject({ job, state: "success" });
      expect(await text(await archive.log(job, "executor", "stdout"))).toBe("once\n");
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  });

  it("answers 404 for a job id that would lead out of the archive's folder, as for any job it doesn't have", async () => {
    const petrel = await servePetrel(backend);
    try {
      for (const job of ["../../../etc", "archive-builder/../../x", "a//b", "."]) {
        const answer = await fetch(`${petrel.url}/build?job=${encodeURIComponent(job)}&log=stdout`);
        expect({ job, status: answer.status, body: await answer.json() }).toEqual({ job, status: 404, body: { error: `no job '${job}' in Nomad` } });
      }
    } finally {
      await petrel.stop();
    }
  });
});

describe("history pages and badges", () => {
  const backend = backends[1]!;
  let petrel: PetrelServe;
  let archive: BuildArchive;
  let repo: GiteaRepo;
  const builds: Record<string, { job: string; sha: string }> = {};
  const history = async (query: Record<string, string>) => {
    const answer = await fetch(`${petrel.url}/builds?${new URLSearchParams(query).toString()}`, { headers: { accept: "application/json" } });
    return { status: answer.status, body: (await answer.json()) as { repo: string; builds: BuildSummary[]; next?: string; error?: string } };
  };
  const badge = async (query: Record<string, string>, headers: Record<string, string> = {}) => {
    const answer = await fetch(`${petrel.url}/badge?${new URLSearchParams(query).toString()}`, { headers });
    return { status: answer.status, type: answer.headers.get("content-type"), cache: answer.headers.get("cache-control"), etag: answer.headers.get("etag"), svg: await answer.text() };
  };

  beforeAll(async () => {
    petrel = await servePetrel(backend);
    archive = await openArchive(readConfig(backend.env()).archive!);
    repo = await hookedRepo(petrel, "history-widget");
    // Dispatch times are whole seconds: a second apart, the order is theirs.
    for (const [name, branch, script] of [["first", "main", "exit 0"], ["second", "main", "exit 0"], ["feature", "feature", "exit 0"], ["third", "main", "exit 1"]] as const) {
      builds[name] = await pushBuild(repo, branch, `# ${name}\n${script}`);
      await archived(archive, builds[name].job);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });
  afterAll(() => petrel?.stop());

  it("lists a repository's builds newest first, a page at a time, by owner/name or clone URL, also once Nomad has forgotten them", async () => {
    const all = await history({ repo: "alice/history-widget" });
    expect(all.status).toBe(200);
    expect(all.body.builds.map((build) => build.job)).toEqual(["third", "feature", "second", "first"].map((name) => builds[name]!.job));
    expect(all.body.builds[0]).toMatchObject({ state: "failure", finished: true, ref: "main", commit: builds.third!.sha, flavor: "default", sender: "alice", repo: repo.clone_url });
    expect(all.body.builds[0]!.durationSeconds).toBeGreaterThanOrEqual(0);
    expect((await history({ repo: repo.clone_url })).body.builds).toEqual(all.body.builds);

    const first = await history({ repo: "alice/history-widget", branch: "main", limit: "2" });
    expect(first.body.builds.map((build) => build.job)).toEqual([builds.third!.job, builds.second!.job]);
    expect(first.body.next).toEqual(expect.any(String));
    const rest = await history({ repo: "alice/history-widget", branch: "main", limit: "2", after: first.body.next! });
    expect(rest.body).toEqual({ repo: "alice/history-widget", builds: [expect.objectContaining({ job: builds.first!.job })] });

    for (const name of ["first", "second", "feature", "third"]) await collectJobs(builds[name]!.job);
    expect((await history({ repo: "alice/history-widget" })).body.builds).toEqual(all.body.builds);
    const listed = await petrelCli(["status", "--repo", "alice/history-widget", "--branch", "main"], backend);
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split("\n").slice(1).map((line) => line.split(/\s+/)[0])).toEqual(["third", "second", "first"].map((name) => builds[name]!.job));
  });

  it("shows the history in Chromium, and the build page links its previous build, its history and its commit", async () => {
    const page = await browser.newPage();
    await page.goto(`${petrel.url}/builds?repo=alice/history-widget&branch=main&limit=2`);
    await page.locator("body[data-loaded=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#builds tr").count()).toBe(2);
    await page.locator("#more").click();
    await page.locator("#builds tr").nth(2).waitFor({ timeout: 30_000 });
    expect(await page.locator("#more").isHidden()).toBe(true);
    const rows = await page.locator("#builds tr").allTextContents();
    expect(rows.map((row) => row.includes(builds.first!.job))).toEqual([false, false, true]);

    await page.locator("#builds a", { hasText: builds.second!.job }).click();
    await page.locator("body[data-final=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#state").textContent()).toBe("success");
    expect(await page.locator("#commit").getAttribute("href")).toBe(`${gitea.url}/alice/history-widget/commit/${builds.second!.sha}`);
    await page.locator("#previous:not([hidden])").waitFor({ timeout: 30_000 });
    await page.locator("#previous").click();
    await page.waitForURL((url) => url.searchParams.get("job") === builds.first!.job, { timeout: 30_000 });
    await page.locator("#history").click();
    await page.waitForURL((url) => url.pathname === "/builds" && url.searchParams.get("branch") === "main", { timeout: 30_000 });
    await page.locator("body[data-loaded=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#builds tr").count()).toBeGreaterThanOrEqual(3);
    await page.close();
  });

  it("answers a badge of the newest verdict, running while a build runs, with headers an image proxy revalidates", async () => {
    const main = await badge({ repo: "alice/history-widget", branch: "main" });
    expect(main).toMatchObject({ status: 200, type: "image/svg+xml; charset=utf-8", cache: "no-cache, max-age=0", etag: '"failing"' });
    expect(main.svg).toMatch(/^<svg [^>]*aria-label="build: failing"/);
    expect((await badge({ repo: "alice/history-widget", branch: "feature" })).etag).toBe('"passing"');
    expect((await badge({ repo: "alice/history-widget", branch: "nothing-here" })).etag).toBe('"unknown"');
    expect((await badge({ repo: "alice/history-widget", branch: "main", flavor: "other" })).etag).toBe('"unknown"');
    expect((await badge({ repo: "alice/history-widget", branch: "main" }, { "if-none-match": '"failing"' })).status).toBe(304);

    const running = await pushBuild(repo, "main", "echo started; sleep 30", (status) => status.status === "pending" && status.description === "running");
    expect((await badge({ repo: "alice/history-widget", branch: "main" })).etag).toBe('"running"');
    await nomad.jobs.stop(running.job);
  });

  it("refuses a history or badge query it can't answer with a 400 saying why", async () => {
    for (const [query, error] of [
      [{}, "missing query parameter 'repo' (a clone URL or owner/name)"],
      [{ repo: "widget" }, "query parameter 'repo' must be a clone URL or owner/name"],
      [{ repo: "http://[" }, "query parameter 'repo' must be a clone URL or owner/name"],
      [{ repo: "https://git.example.org/" }, "query parameter 'repo' must be a clone URL or owner/name"],
      [{ repo: "alice/ widget" }, "query parameter 'repo' must be a clone URL or owner/name"],
      [{ repo: "alice/widget", branch: "main", pr: "3" }, "give 'branch' or 'pr', not both"],
      [{ repo: "alice/widget", pr: "-1" }, "query parameter 'pr' must be a pull request's number"],
      [{ repo: "alice/widget", limit: "1000" }, "query parameter 'limit' must be 1 to 100"],
    ] as const) {
      expect(await history(query)).toEqual({ status: 400, body: { error } });
    }
    expect((await badge({ repo: "widget" })).status).toBe(400);
    expect((await badge({ repo: "http://[" })).status).toBe(400);
  });
});

