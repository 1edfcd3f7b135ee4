import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { childrenOf, registerBuilder } from "../cluster/builder.js";
import { startGitea, type RunningGitea } from "../cluster/gitea.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { GiteaClient, type GiteaRepo, type GiteaStatus } from "../forge/gitea-api.js";
import { pushCommit } from "../forge/gitea-git.js";
import { clusterClients } from "../support/clients.js";
import { startFakeGitlab } from "../support/fake-gitlab.js";
import { gitlabPush } from "../support/payloads.js";
import { startPetrelProcess, type PetrelProcess } from "../support/petrel-process.js";
import { sendHook } from "../support/send-hook.js";

/** Builds that really run, reported to a real Gitea by `petrel serve` processes. */
const { nomad, consul } = clusterClients();
const secret = "report-secret-45c48cce2e2d";
let gitea: RunningGitea;
let alice: GiteaClient;
let builder: string;
let runDir: RunDir;
let petrel: PetrelProcess;

beforeAll(async () => {
  runDir = createRunDir("petrel-report-");
  gitea = await startGitea();
  const admin = new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token);
  alice = await admin.createUser("alice");
  builder = await registerBuilder(nomad, { id: "report-builder" });
  petrel = await startPetrelProcess(runDir.path);
});
afterAll(async () => {
  await petrel?.stop();
  if (gitea) expect(await gitea.stop()).toEqual([]);
  await runDir?.remove();
});

async function repoBuilding(name: string, script: string, hookUrl = `${petrel.url}/hook`): Promise<{ repo: GiteaRepo; sha: string }> {
  const repo = await alice.createRepo(name);
  await writeRepoConfig(consul, "petrel-test", repo.clone_url, { hook: { secret }, gitea: { url: gitea.url, token: alice.token }, trusted: { senders: ["alice"] }, builder });
  await alice.addWebhook(alice.username, repo.name, { url: hookUrl, secret, events: ["push"] });
  const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { ".albatros": { content: `#!/bin/sh\n${script}\n`, executable: true } }, message: "CI" });
  return { repo, sha };
}

/** Gitea's statuses of a commit, oldest first, once `until` holds for them. */
function statuses(repo: GiteaRepo, sha: string, until: (all: GiteaStatus[]) => boolean, timeoutMs = 90_000): Promise<GiteaStatus[]> {
  return waitUntil(`statuses of ${repo.full_name}@${sha}`, async () => {
    // By id: statuses posted within one second may come back in either order.
    const all = (await alice.readStatuses(alice.username, repo.name, sha)).sort((a, b) => a.id - b.id);
    return until(all) ? all : undefined;
  }, { timeoutMs, intervalMs: 250 });
}
const final = (all: GiteaStatus[]) => all.some((status) => status.status !== "pending");

describe("commit statuses", () => {
  it("posts pending at dispatch, then success with the exit code and a link to the build", async () => {
    const { repo, sha } = await repoBuilding("green-widget", "echo fine");
    const all = await statuses(repo, sha, final);
    const [child] = (await childrenOf(nomad, builder)).filter((job) => job.meta.COMMIT === sha);
    expect(all[0]).toMatchObject({ status: "pending", context: "petrel/default" });
    expect(all.at(-1)).toMatchObject({ status: "success", context: "petrel/default", description: "exit code 0", target_url: `${petrel.url}/build?job=${encodeURIComponent(child!.id)}` });
  });

  it("posts failure with the script's exit code", async () => {
    const { repo, sha } = await repoBuilding("red-widget", "echo broken >&2; exit 3");
    const all = await statuses(repo, sha, final);
    expect(all.at(-1)).toMatchObject({ status: "failure", description: "exit code 3" });
  });

  it("still posts the final status of a build that ended while Petrel was killed", async () => {
    const { repo, sha } = await repoBuilding("restart-widget", "sleep 6; echo done");
    await statuses(repo, sha, (all) => all.length > 0);
    await petrel.kill();
    const [child] = (await childrenOf(nomad, builder)).filter((job) => job.meta.COMMIT === sha);
    await waitUntil("the build to end with Petrel down", async () => ((await nomad.jobs.get(child!.id)).Status === "dead" ? true : undefined), { timeoutMs: 60_000 });
    expect((await alice.readStatuses(alice.username, repo.name, sha)).every((status) => status.status === "pending")).toBe(true);

    petrel = await startPetrelProcess(runDir.path);
    const all = await statuses(repo, sha, final);
    expect(all.at(-1)).toMatchObject({ status: "success", description: "exit code 0" });
  });

  it("posts each state once when two replicas watch the same builds", async () => {
    const second = await startPetrelProcess(runDir.path);
    try {
      const { repo, sha } = await repoBuilding("twin-widget", "sleep 2; echo twice");
      await statuses(repo, sha, final);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const all = (await alice.readStatuses(alice.username, repo.name, sha)).map((status) => status.status);
      expect(all.filter((state) => state !== "pending")).toEqual(["success"]);
      expect(new Set(all).size).toBe(all.length === 1 ? 1 : 2);
    } finally {
      await second.stop();
    }
  });

  it("looks at every build Nomad knows with one listing when it starts, not a read of each", async () => {
    const builds = (await nomad.jobs.children()).value.filter((job) => job.Meta?.FORGE).length;
    expect(builds).toBeGreaterThanOrEqual(4);
    // A prefix holding no repository config: each build's look ends at its config, so Nomad is asked
    // only what a start asks: the resync's listing and the event stream from its index, the
    // janitor's listing, and the leader for the health check that says the process is up.
    const fresh = await startPetrelProcess(runDir.path, { PETREL_KV_PREFIX: "petrel-resync-test" });
    try {
      // Long enough for a look at each build; other test files' builds may add a read or two meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const metrics = await (await fetch(`${fresh.url}/metrics`)).text();
      const reads = Number(/^petrel_upstream_calls_total\{upstream="nomad",kind="read"\} (\S+)$/m.exec(metrics)?.[1]);
      expect(reads).toBeGreaterThanOrEqual(4);
      expect(reads).toBeLessThan(4 + builds);
    } finally {
      await fresh.stop();
    }
  });

  it("reports GitLab builds with GitLab's states and names", async () => {
    const gitlab = await startFakeGitlab();
    try {
      // A real repository to build, announced as if GitLab had sent the hook.
      const repo = await alice.createRepo("gitlab-widget");
      const sha = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { ".albatros": { content: "#!/bin/sh\nexit 0\n", executable: true } }, message: "CI" });
      await writeRepoConfig(consul, "petrel-test", repo.clone_url, { hook: { secret }, gitlab: { url: gitlab.url, token: "gitlab-api-token-c81e728d", project: 42 }, trusted: { senders: ["alice"] }, builder });
      const answer = await sendHook(petrel.url, { forge: "gitlab", secret, payload: gitlabPush({ cloneUrl: repo.clone_url, sha }) });
      expect(answer.status).toBe(200);
      await waitUntil("GitLab's final status", () => Promise.resolve(gitlab.posted.some((post) => post.body.state === "success") ? true : undefined), { timeoutMs: 90_000 });
      expect(gitlab.posted.every((post) => post.project === "42" && post.commit === sha && post.token === "gitlab-api-token-c81e728d" && post.body.name === "petrel/default")).toBe(true);
      const states = gitlab.posted.map((post) => post.body.state);
      expect(states[0]).toBe("pending");
      expect(states.at(-1)).toBe("success");
      expect(states.every((state) => ["pending", "running", "success"].includes(state!))).toBe(true);
    } finally {
      await gitlab.close();
    }
  });
});
