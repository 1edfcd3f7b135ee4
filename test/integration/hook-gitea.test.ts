import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { childrenOf, registerBuilder } from "../cluster/builder.js";
import { startGitea, type RunningGitea } from "../cluster/gitea.js";
import { waitUntil } from "../cluster/wait.js";
import { GiteaClient, type GiteaRepo } from "../forge/gitea-api.js";
import { pushCommit, WorkTree } from "../forge/gitea-git.js";
import { startHookListener, type HookListener } from "../forge/hook-listener.js";
import { clusterClients } from "../support/clients.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { sendHook } from "../support/send-hook.js";

/** A real Gitea delivering its webhooks to Petrel, which dispatches to the real Nomad. */
const { nomad, consul } = clusterClients();
const prefix = "petrel-test";
const secret = "gitea-hook-secret-0cc175b9c0f1";
const injected = "PUBLISH_TOKEN=gitea-inject-92eb5ffee6ae";
let gitea: RunningGitea;
let petrel: TestPetrel;
let admin: GiteaClient;
let alice: GiteaClient;
let builder: string;
let untrustedBuilder: string;

beforeAll(async () => {
  [gitea, petrel] = await Promise.all([startGitea(), startPetrel()]);
  builder = await registerBuilder(nomad, { id: "gitea-builder", unplaceable: true });
  untrustedBuilder = await registerBuilder(nomad, { id: "gitea-builder-untrusted", unplaceable: true });
  admin = new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token);
  alice = await admin.createUser("alice");
});
afterAll(async () => {
  await petrel?.stop();
  if (gitea) expect(await gitea.stop()).toEqual([]);
});

/** A repository of alice's whose webhook points at Petrel, with a config trusting alice (and `trusted`). */
async function petrelRepo(name: string, { trusted = ["alice"], hookSecret = secret, url = `${petrel.url}/hook` } = {}): Promise<GiteaRepo> {
  const repo = await alice.createRepo(name);
  await writeRepoConfig(consul, prefix, repo.clone_url, { hook: { secret, token: "albatros-token-1f3870be274f" }, trusted: { senders: trusted }, inject: injected, builder, untrustedBuilder });
  await alice.addWebhook(alice.username, repo.name, { url, secret: hookSecret, events: ["push", "create", "pull_request"] });
  return repo;
}

/** The child Petrel dispatched for `commit` of `repo`, once there is one. */
function childFor(repo: GiteaRepo, commit: string, jobPrefix = builder) {
  return waitUntil(`a ${jobPrefix} child for ${repo.full_name}@${commit}`, async () => {
    const children = (await childrenOf(nomad, jobPrefix)).filter((child) => child.meta.REPO_URL === repo.clone_url && child.meta.COMMIT === commit);
    return children.length > 0 ? children : undefined;
  });
}

/** A new user forks alice's `repo` (after a first commit), changes it and opens a pull request. */
async function forkPullRequest(repo: GiteaRepo, author: string): Promise<{ sha: string; number: number }> {
  const base = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { "README.md": "widget\n" }, message: "Start" });
  await alice.waitForBranch(alice.username, repo.name, "main", base);
  const user = await admin.createUser(author);
  const fork = await user.forkRepo(alice.username, repo.name);
  const sha = await pushCommit({ cloneUrl: fork.clone_url, credentials: user, branch: "change", files: { "README.md": `widget, by ${author}\n` }, message: "Change" });
  await user.waitForBranch(fork.owner.login, fork.name, "change", sha);
  const pr = await user.openPullRequest(alice.username, repo.name, { head: `${author}:change`, title: "Change" });
  return { sha, number: pr.number };
}

/** Petrel's count of a kind of hook, read from its /metrics. */
async function hookCount(event: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${petrel.url}/metrics`)).text();
  const line = new RegExp(`petrel_hooks_total\\{forge="gitea",event="${event}",outcome="${outcome}"\\} (\\d+)`).exec(text);
  return Number(line?.[1] ?? 0);
}

describe("Gitea → Petrel → Nomad", () => {
  it("turns a push into a trusted child with the right meta and a secrets URL", async () => {
    const repo = await petrelRepo("push-widget");
    const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { ".albatros": { content: "#!/bin/sh\necho hi\n", executable: true } }, message: "CI" });
    const [child] = await childFor(repo, sha);
    expect(child!.meta).toMatchObject({
      REPO_URL: repo.clone_url,
      COMMIT: sha,
      BRANCH: "main",
      FLAVOR: "default",
      FORGE: "gitea",
      FORGE_URL: gitea.url,
      FORGE_REPO: repo.full_name,
      SENDER: "alice",
      EVENT: "push",
      TRUSTED: "true",
      // Gitea's delivery id, and which event to which repository it carried.
      DELIVERY: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) as unknown,
    });
    // Whoever reads the URL from Nomad has a copy that opens nothing: only that build's executor can redeem it.
    const copied = await fetch(child!.meta.SECRETS_URL!);
    expect(copied.status).toBe(401);
    expect(await copied.text()).not.toContain(injected);
  });

  it("builds a tag once, though Gitea announces it as push and as create", async () => {
    const repo = await petrelRepo("tag-widget");
    const tree = await WorkTree.clone(repo.clone_url, alice);
    try {
      await tree.checkout("main");
      tree.write({ VERSION: "1\n" });
      const commit = await tree.commit("Release 1");
      await tree.push("main");
      await childFor(repo, commit);
      const creates = await hookCount("create", "ignored");
      await tree.pushTag("v1.0.0", "Release 1.0");
      await waitUntil("Gitea's create event for the tag", async () => ((await hookCount("create", "ignored")) > creates ? true : undefined));
      const tagBuilds = (await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === repo.clone_url && child.meta.BRANCH === "refs/tags/v1.0.0");
      expect(tagBuilds.map((child) => [child.meta.EVENT, child.meta.COMMIT])).toEqual([["tag", commit]]);
    } finally {
      tree.remove();
    }
  });

  it("builds a pull request from an untrusted fork untrusted, without secrets, on the untrusted builder", async () => {
    const repo = await petrelRepo("fork-widget");
    const { sha, number } = await forkPullRequest(repo, "mallory");
    const [child] = await childFor(repo, sha, untrustedBuilder);
    expect(child!.meta).toMatchObject({ EVENT: "pull_request", PR: String(number), BRANCH: `refs/pull/${number}/head`, SENDER: "mallory", TRUSTED: "false" });
    expect(child!.meta.TRUST_REASON).toContain("fork");
    expect(child!.meta).not.toHaveProperty("SECRETS_URL");
  });

  it("holds a fork's pull request for approval when there is no untrusted builder, and builds it on a trusted sender's comment", async () => {
    const repo = await alice.createRepo("approval-widget");
    await writeRepoConfig(consul, prefix, repo.clone_url, { hook: { secret }, trusted: { senders: ["alice"] }, inject: injected, builder, gitea: { url: gitea.url, token: gitea.admin.token } });
    await alice.addWebhook(alice.username, repo.name, { url: `${petrel.url}/hook`, secret, events: ["push", "pull_request", "pull_request_comment"] });
    const { sha, number } = await forkPullRequest(repo, "dora");
    const [status] = await waitUntil("the awaiting-approval status", async () => {
      const statuses = await alice.readStatuses(alice.username, repo.name, sha);
      return statuses.length > 0 ? statuses : undefined;
    });
    expect(status).toMatchObject({ status: "pending", context: "petrel/default", description: expect.stringMatching(/^awaiting approval: pull request #\d+ comes from a fork and its author dora is not a trusted sender/) as unknown });
    expect(status!.target_url).toMatch(new RegExp(`^${petrel.url}/build/approval\\?id=[0-9a-f]{24}$`));

    // Nothing builds for a comment by someone untrusted, nor for one without the phrase.
    await admin.comment(alice.username, repo.name, number, "/petrel approve");
    await alice.comment(alice.username, repo.name, number, "I will look at it.");
    await waitUntil("both comments' hooks", async () => ((await hookCount("issue_comment", "ignored")) >= 2 ? true : undefined));
    expect((await childrenOf(nomad, builder)).filter((child) => child.meta.COMMIT === sha)).toEqual([]);

    await alice.comment(alice.username, repo.name, number, "Read it.\n/petrel approve");
    const [child] = await childFor(repo, sha);
    expect(child!.meta).toMatchObject({ EVENT: "pull_request", PR: String(number), SENDER: "dora", TRUSTED: "false", TRUST_REASON: expect.stringMatching(/^approved by alice; /) as unknown });
    expect(child!.meta).not.toHaveProperty("SECRETS_URL");
  });

  it("trusts a pull request by a trusted member", async () => {
    const repo = await petrelRepo("member-widget", { trusted: ["alice", "carol"] });
    const { sha } = await forkPullRequest(repo, "carol");
    const [child] = await childFor(repo, sha);
    expect(child!.meta).toMatchObject({ TRUSTED: "true", SENDER: "carol" });
    expect(child!.meta.SECRETS_URL).toMatch(/\/secrets\/build\//);
  });

  it("builds nothing for a hook signed with another secret", async () => {
    const repo = await petrelRepo("forged-widget", { hookSecret: "not-the-configured-secret" });
    const refused = await hookCount("push", "401");
    const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { "a.txt": "a\n" }, message: "A" });
    await waitUntil("Petrel to refuse the forged push", async () => ((await hookCount("push", "401")) > refused ? true : undefined));
    expect((await childrenOf(nomad, builder)).filter((child) => child.meta.COMMIT === sha && child.meta.REPO_URL === repo.clone_url)).toEqual([]);
  });

  it("accepts Albatros' ?token= hook URL from a real Gitea", async () => {
    const repo = await petrelRepo("albatros-widget", { hookSecret: "", url: `${petrel.url}/hook?token=albatros-token-1f3870be274f` });
    const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { "a.txt": "a\n" }, message: "A" });
    const [child] = await childFor(repo, sha);
    expect(child!.meta).toMatchObject({ COMMIT: sha, TRUSTED: "true" });
  });

  it("builds the same delivery once when it arrives twice", async () => {
    // Gitea's copy of a delivery, caught on its way, then handed to Petrel twice as a forge's retry would.
    const listener: HookListener = await startHookListener();
    try {
      const repo = await petrelRepo("redelivered-widget", { url: listener.url });
      const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { "a.txt": "a\n" }, message: "A" });
      const delivery = await listener.next((d) => d.event === "push" && (d.payload as { after?: string }).after === sha);
      const headers = Object.fromEntries(Object.entries(delivery.headers).filter(([name]) => name.startsWith("x-gitea-")).map(([k, v]) => [k, String(v)]));
      const answers = [];
      for (let attempt = 0; attempt < 2; attempt++) answers.push((await sendHook(petrel.url, { body: delivery.body, headers })).json().builds);
      const [first, again] = answers as [{ job: string; created: boolean }[], { job: string; created: boolean }[]];
      expect(first[0]?.created).toBe(true);
      expect(again).toEqual([{ flavor: "default", job: first[0]?.job, created: false }]);
      expect((await childrenOf(nomad, builder)).filter((child) => child.meta.COMMIT === sha && child.meta.REPO_URL === repo.clone_url).map((child) => child.id)).toEqual([first[0]?.job]);
    } finally {
      await listener.close();
    }
  });
});
