import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { consulKeys } from "../../src/consul/keys.js";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { listKeys } from "../../src/consul/sweep-keys.js";
import { createSingleUse } from "../../src/single-use/single-use.js";
import { childrenOf, registerBuilder } from "../cluster/builder.js";
import { startGitea, type RunningGitea } from "../cluster/gitea.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { GiteaClient, type GiteaRepo, type GiteaStatus } from "../forge/gitea-api.js";
import { pushCommit } from "../forge/gitea-git.js";
import { clusterClients } from "../support/clients.js";
import { startPetrelProcess, type PetrelProcess } from "../support/petrel-process.js";
import { purgeJob } from "../support/purge-job.js";

/**
 * Petrel's keys in Consul once their builds are over: `petrel serve` with a
 * short sweep interval and short-lived secrets URLs, its own KV prefix, real
 * builds reported to a real Gitea.
 */
const { nomad, consul } = clusterClients();
const prefix = `petrel-janitor-${randomUUID().slice(0, 8)}`;
const secret = "janitor-secret-1679091c5a88";
let gitea: RunningGitea;
let alice: GiteaClient;
let builder: string;
let runDir: RunDir;
let petrel: PetrelProcess;
const env = { PETREL_KV_PREFIX: prefix, PETREL_SECRETS_TTL: "10", PETREL_SWEEP_INTERVAL: "2" };

beforeAll(async () => {
  runDir = createRunDir("petrel-janitor-");
  gitea = await startGitea();
  alice = await new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token).createUser("alice");
  builder = await registerBuilder(nomad, { id: "janitor-builder" });
  petrel = await startPetrelProcess(runDir.path, env);
});
afterAll(async () => {
  await petrel?.stop();
  if (gitea) expect(await gitea.stop()).toEqual([]);
  await runDir?.remove();
  await consul.kv.del({ key: `${prefix}/`, recurse: true });
});

const statusesOf = async (repo: GiteaRepo, sha: string): Promise<GiteaStatus[]> => alice.readStatuses(alice.username, repo.name, sha);
const untilStatus = (repo: GiteaRepo, sha: string, state: string) =>
  waitUntil(`${repo.full_name}@${sha} to be ${state}`, async () => ((await statusesOf(repo, sha)).some((s) => s.status === state) ? true : undefined), { timeoutMs: 90_000, intervalMs: 250 });
/** Petrel's own keys, by folder under `_petrel/`. */
const petrelKeys = async () => (await listKeys(consul, `${prefix}/_petrel/`)).map((entry) => entry.Key.slice(`${prefix}/_petrel/`.length).replace(/\/.*/, "/…")).sort();

describe("Petrel's keys in Consul", () => {
  it("are swept once they can't matter: O(1) per running build remain, and nothing a live build needs goes", async () => {
    const repo = await alice.createRepo("swept-widget");
    await writeRepoConfig(consul, prefix, repo.clone_url, { hook: { secret }, gitea: { url: gitea.url, token: alice.token }, trusted: { senders: ["alice"] }, inject: "TOKEN=swept\n", builder });
    await alice.addWebhook(alice.username, repo.name, { url: `${petrel.url}/hook`, secret, events: ["push"] });
    const push = (branch: string, script: string) =>
      pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch, files: { ".albatros": { content: `#!/bin/sh\n${script}\n`, executable: true } }, message: branch });

    const finished: string[] = [];
    for (const branch of ["one", "two", "three"]) {
      const sha = await push(branch, `echo ${branch}; grep -c swept "$SECRET_PATH"`);
      await untilStatus(repo, sha, "success");
      finished.push(sha);
    }
    const running = await push("long", "echo started; sleep 300");
    await untilStatus(repo, running, "pending");
    const children = (await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === repo.clone_url);
    const longJob = children.find((child) => child.meta.COMMIT === running)!.id;
    await waitUntil("the long build to run", async () => ((await nomad.jobs.get(longJob)).Status === "running" ? true : undefined), { timeoutMs: 60_000 });
    const posted = await Promise.all(finished.map((sha) => statusesOf(repo, sha)));

    // While Nomad knows the builds, their reports stay (a branch's latest build goes once it ends).
    expect((await petrelKeys()).filter((key) => key === "reported/…")).toHaveLength(4);

    // Nomad forgets the finished builds; their secrets URLs expire (10 s).
    for (const child of children.filter((child) => child.id !== longJob)) await purgeJob(inject("cluster").nomadAddr, child.id);
    const left = ["latest/…", "reported/…", "single-use-key"];
    await waitUntil("the sweep", async () => (JSON.stringify(await petrelKeys()) === JSON.stringify(left) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    const entries = await listKeys(consul, `${prefix}/_petrel/`);
    expect(entries.find((entry) => entry.Key.includes("/reported/"))!.Key).toBe(consulKeys.reported(prefix, longJob));
    expect(JSON.parse(entries.find((entry) => entry.Key.includes("/latest/"))!.Value!)).toMatchObject({ job: longJob });

    // A restarted Petrel looks at every build again: nothing final is posted twice.
    await petrel.stop();
    petrel = await startPetrelProcess(runDir.path, env);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await Promise.all(finished.map((sha) => statusesOf(repo, sha)))).toEqual(posted);
    // The running build's state is still known: stopping it posts its end once.
    await nomad.jobs.stop(longJob);
    await waitUntil("the long build's end", async () => ((await statusesOf(repo, running)).some((s) => s.status !== "pending") ? true : undefined), { timeoutMs: 60_000 });
    expect((await statusesOf(repo, running)).filter((s) => s.status !== "pending")).toHaveLength(1);
  });

  it("refuses a redeemed token after its record is swept, as it did before", async () => {
    const singleUse = createSingleUse({ consul, prefix });
    const token = await singleUse.issue({ purpose: "build", subject: "https://git.example.org/a/b.git", ttlSeconds: 2 });
    await singleUse.redeem("build", token);
    await expect(singleUse.redeem("build", token)).rejects.toMatchObject({ status: 410 });
    await waitUntil("the record to be swept", async () => ((await listKeys(consul, consulKeys.folder(prefix, "redeemed"))).length === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
    await expect(singleUse.redeem("build", token)).rejects.toMatchObject({ status: 401, message: "this token has expired" });
  });
});

