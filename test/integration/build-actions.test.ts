import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics.js";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { consulKeys } from "../../src/consul/keys.js";
import { createAutoCancel } from "../../src/dispatch/auto-cancel.js";
import type { BuildRequest } from "../../src/forge/build-request.js";
import { startReporter, type Reporter } from "../../src/report/reporter.js";
import { childrenOf, registerBuilder } from "../cluster/builder.js";
import { waitUntil } from "../cluster/wait.js";
import { clusterClients } from "../support/clients.js";
import { startFakeGitlab } from "../support/fake-gitlab.js";
import { gitlabMergeRequest, gitlabPush } from "../support/payloads.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { sendHook } from "../support/send-hook.js";

const { nomad, consul } = clusterClients();
const secret = "actions-secret-eccbc87e4b5c";
const apiToken = "api-token-a87ff679a2f3e71d9181";
let builder: string;
let petrel: TestPetrel;
let reporter: Reporter;
let gitlab: Awaited<ReturnType<typeof startFakeGitlab>>;

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "actions-builder", unplaceable: true });
  gitlab = await startFakeGitlab();
  petrel = await startPetrel({ PETREL_API_TOKEN: apiToken });
  reporter = startReporter({ nomad, consul, repoConfigs: petrel.repoConfigs, kvPrefix: "petrel-test", publicUrl: petrel.url, metrics: createMetrics(), logger: createLogger("silent") });
  await reporter.ready;
});
afterAll(async () => {
  await reporter?.stop();
  await petrel?.stop();
  await gitlab?.close();
});

async function repoWith(config: Record<string, unknown> = {}): Promise<string> {
  const url = `https://gitlab.example.org/team/${randomUUID()}.git`;
  await writeRepoConfig(consul, "petrel-test", url, { hook: { secret }, gitlab: { url: gitlab.url, token: "gitlab-token-1679091c5a88", project: 42 }, trusted: { senders: ["alice"] }, inject: "K=secret-e4da3b7fbbce\n", builder, ...config });
  return url;
}

async function push(url: string, sha: string, kind: "push" | "tag_push" = "push"): Promise<string> {
  const answer = await sendHook(petrel.url, { forge: "gitlab", event: kind === "push" ? "Push Hook" : "Tag Push Hook", secret, payload: gitlabPush({ cloneUrl: url, sha, kind }) });
  expect(answer.status).toBe(200);
  return (answer.json().builds as { job: string }[])[0]!.job;
}

const stopped = async (job: string) => (await nomad.jobs.get(job)).Stop === true;
const sha = (digit: string) => digit.repeat(40);

describe("auto-cancel", () => {
  it("stops the older build of a branch when a newer commit arrives, and its status names the newer commit", async () => {
    const url = await repoWith();
    const older = await push(url, sha("1"));
    const newer = await push(url, sha("2"));
    await waitUntil("the older build to be stopped", async () => ((await stopped(older)) ? true : undefined));
    expect(await stopped(newer)).toBe(false);
    await waitUntil("the canceled status", () => Promise.resolve(gitlab.posted.find((post) => post.commit === sha("1") && post.body.state === "canceled")));
    const canceled = gitlab.posted.find((post) => post.commit === sha("1") && post.body.state === "canceled")!;
    expect(canceled.body.description).toBe(`superseded by ${sha("2").slice(0, 12)}`);
  });

  it("stops an older merge request build on new commits, but never for tags, and not when switched off", async () => {
    const url = await repoWith();
    const first = (await sendHook(petrel.url, { forge: "gitlab", event: "Merge Request Hook", secret, payload: gitlabMergeRequest({ cloneUrl: url, sha: sha("3") }) })).json().builds as { job: string }[];
    await sendHook(petrel.url, { forge: "gitlab", event: "Merge Request Hook", secret, payload: gitlabMergeRequest({ cloneUrl: url, action: "update", oldrev: sha("3"), sha: sha("4") }) });
    await waitUntil("the older merge request build to be stopped", async () => ((await stopped(first[0]!.job)) ? true : undefined));

    const tag = await push(url, sha("5"), "tag_push");
    await push(url, sha("6"), "tag_push");
    const quiet = await repoWith({ autoCancel: false });
    const kept = await push(quiet, sha("7"));
    const last = await push(quiet, sha("8"));
    // The newest build of each is running: once its own auto-cancel pass has run, the older ones must still be there.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([await stopped(tag), await stopped(kept), await stopped(last)]).toEqual([false, false, false]);
  });

  it("takes pushes racing on one branch in turn: each stops the one before, with one Consul call each however many race", async () => {
    const url = await repoWith({ autoCancel: false });
    const shas = Array.from({ length: 20 }, (_, n) => n.toString(16).padStart(40, "c"));
    const jobs = await Promise.all(shas.map((commit) => push(url, commit)));
    // Its own calls counted, apart from the reporter's in this process.
    let calls = 0;
    const counted = (call: (...args: never[]) => unknown) => (...args: never[]) => ((calls += 1), call(...args));
    const kv = { get: counted(consul.kv.get.bind(consul.kv)), set: counted(consul.kv.set.bind(consul.kv)) };
    const txn = counted(consul.txn);
    const autoCancel = createAutoCancel({ nomad, consul: { ...consul, kv, txn } as unknown as typeof consul, kvPrefix: "petrel-test", metrics: createMetrics() });
    const request = (commit: string): BuildRequest => ({ forge: "gitlab", event: "push", cloneUrl: url, commit, branch: "main", sender: "alice", forgeUrl: gitlab.url, forgeRepo: "team/racing" });
    const canceled = await Promise.all(jobs.map((job, n) => autoCancel(request(shas[n]!), [{ flavor: "default", builder, job, created: true }], createLogger("silent"))));
    // Each: swap the branch's latest build at the index the swap before it left, noting in the same transaction why the one before is stopped.
    expect(calls).toBeLessThanOrEqual(jobs.length);
    expect(canceled.flat().sort()).toEqual(jobs.filter((job) => job !== jobs.at(-1)).sort());
    expect(await Promise.all(jobs.map(stopped))).toEqual(jobs.map((job) => job !== jobs.at(-1)));
  });
});

describe("POST /build/cancel and /build/rerun", () => {
  const call = (action: string, job: string, token: string | null = apiToken, base = petrel.url) =>
    fetch(`${base}/build/${action}?job=${encodeURIComponent(job)}`, { method: "POST", headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it("refuses without the right bearer token, or without one configured", async () => {
    const job = await push(await repoWith(), sha("9"));
    for (const token of [null, "wrong-token-wrong-token"]) {
      const answer = await call("cancel", job, token);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: string }).error).toMatch(/bearer|Bearer/);
    }
    const unconfigured = await startPetrel();
    try {
      const answer = await call("cancel", job, apiToken, unconfigured.url);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: string }).error).toContain("PETREL_API_TOKEN");
    } finally {
      await unconfigured.stop();
    }
    expect(await stopped(job)).toBe(false);
  });

  it("answers 404 for an unknown job and 400 for a job that is no build", async () => {
    expect((await call("cancel", "actions-builder/dispatch-0-00000000")).status).toBe(404);
    expect((await call("rerun", builder)).status).toBe(400);
    expect((await call("rerun", "")).status).toBe(400);
  });

  it("cancels a build", async () => {
    const job = await push(await repoWith(), sha("a"));
    const answer = await call("cancel", job);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ job, canceled: true });
    expect(await stopped(job)).toBe(true);
  });

  it("reruns a build as a new child with the same meta and a fresh secrets URL", async () => {
    const url = await repoWith();
    const job = await push(url, sha("b"));
    const answer = await call("rerun", job);
    expect(answer.status).toBe(201);
    const { job: again } = (await answer.json()) as { job: string };
    expect(again).not.toBe(job);
    const [before, after] = [(await nomad.jobs.get(job)).Meta!, (await nomad.jobs.get(again)).Meta!];
    const same = Object.fromEntries(Object.entries(before).filter(([key]) => key !== "SECRETS_URL" && key !== "DELIVERY"));
    expect(after).toMatchObject(same);
    expect(after).not.toHaveProperty("DELIVERY");
    expect(after.SECRETS_URL).toBeDefined();
    expect(after.SECRETS_URL).not.toBe(before.SECRETS_URL);
    // A valid token: refused only for want of the build's identity.
    expect(((await (await fetch(after.SECRETS_URL!)).json()) as { error: string }).error).toMatch(/^no workload identity/);
    expect((await childrenOf(nomad, builder)).map((child) => child.id)).toContain(again);
  });
  it("decides trust again on a rerun: a sender no longer trusted gets no secrets, nor does a repository whose config is gone", async () => {
    const url = await repoWith();
    const job = await push(url, sha("c"));
    const first = (await nomad.jobs.get(job)).Meta!;
    expect([first.TRUSTED, typeof first.SECRETS_URL]).toEqual(["true", "string"]);
    await writeRepoConfig(consul, "petrel-test", url, { hook: { secret }, gitlab: { url: gitlab.url, token: "gitlab-token-1679091c5a88", project: 42 }, trusted: { senders: [] }, inject: "K=secret-e4da3b7fbbce\n", builder });
    const answer = await call("rerun", job);
    expect(answer.status).toBe(201);
    const meta = (await nomad.jobs.get(((await answer.json()) as { job: string }).job)).Meta!;
    expect(meta).toMatchObject({ COMMIT: sha("c"), TRUSTED: "false", TRUST_REASON: "sender alice is not a trusted sender" });
    expect(meta).not.toHaveProperty("SECRETS_URL");

    const removed = await repoWith();
    const orphan = await push(removed, sha("d"));
    for (const key of consulKeys.repoConfig("petrel-test", removed)) await consul.kv.del(key);
    const again = await call("rerun", orphan);
    expect(again.status).toBe(201);
    const orphanMeta = (await nomad.jobs.get(((await again.json()) as { job: string }).job)).Meta!;
    expect(orphanMeta).toMatchObject({ COMMIT: sha("d"), TRUSTED: "false" });
    expect(orphanMeta).not.toHaveProperty("SECRETS_URL");
  });
});

describe("untrusted events without an untrusted builder", () => {
  const approve = (id: string, token: string | null = apiToken) =>
    fetch(`${petrel.url}/build/approve?id=${id}`, { method: "POST", headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it("dispatch nothing until approved, say so in a pending status, and then build once, untrusted and without secrets", async () => {
    const url = await repoWith();
    const commit = sha("e");
    const before = (await childrenOf(nomad, builder)).length;
    const answer = await sendHook(petrel.url, { forge: "gitlab", secret, payload: gitlabPush({ cloneUrl: url, sha: commit, user: "mallory" }) });
    expect(answer.status).toBe(202);
    const { awaitingApproval, reason } = answer.json() as { awaitingApproval: { id: string; url: string }; reason: string };
    expect(reason).toBe("sender mallory is not a trusted sender");
    expect(awaitingApproval.url).toBe(`${petrel.url}/build/approval?id=${awaitingApproval.id}`);
    const status = await waitUntil("the awaiting-approval status", () => Promise.resolve(gitlab.posted.find((post) => post.commit === commit)));
    expect(status.body).toMatchObject({ state: "pending", name: "petrel/default", target_url: awaitingApproval.url, description: "awaiting approval: sender mallory is not a trusted sender" });
    expect((await childrenOf(nomad, builder)).length).toBe(before);

    const shown = (await (await fetch(awaitingApproval.url)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: awaitingApproval.id, repo: url, commit, sender: "mallory", flavors: ["default"] });
    expect((await approve(awaitingApproval.id, null)).status).toBe(401);
    expect((await childrenOf(nomad, builder)).length).toBe(before);

    const approved = await approve(awaitingApproval.id);
    expect(approved.status).toBe(201);
    const [build] = ((await approved.json()) as { builds: { job: string }[] }).builds;
    const meta = (await nomad.jobs.get(build!.job)).Meta!;
    expect(meta).toMatchObject({ COMMIT: commit, TRUSTED: "false", TRUST_REASON: "approved by operator; sender mallory is not a trusted sender" });
    expect(meta).not.toHaveProperty("SECRETS_URL");
    // Once: the record is gone.
    expect((await approve(awaitingApproval.id)).status).toBe(404);
    expect((await fetch(awaitingApproval.url)).status).toBe(404);
  });

  it("forget what waits on a merge request once it is closed", async () => {
    const url = await repoWith();
    const opened = await sendHook(petrel.url, { forge: "gitlab", event: "Merge Request Hook", secret, payload: gitlabMergeRequest({ cloneUrl: url, user: "mallory", sha: sha("f") }) });
    const { url: approvalUrl } = (opened.json() as { awaitingApproval: { url: string } }).awaitingApproval;
    expect((await fetch(approvalUrl)).status).toBe(200);
    const closed = await sendHook(petrel.url, { forge: "gitlab", event: "Merge Request Hook", secret, payload: gitlabMergeRequest({ cloneUrl: url, user: "mallory", action: "close" }) });
    expect(closed.status).toBe(202);
    expect((await fetch(approvalUrl)).status).toBe(404);
  });
});
