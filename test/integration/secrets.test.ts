import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { createSingleUse } from "../../src/single-use/single-use.js";
import { registerBuilder } from "../cluster/builder.js";
import { finishedAllocation, readLog } from "../support/allocations.js";
import { clusterClients } from "../support/clients.js";
import { freePorts } from "../cluster/ports.js";
import { createLocalRepo } from "../support/local-repo.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";

/**
 * A build's secrets URL opens for that build's executor alone, proven by its
 * Nomad workload identity: real builds on the test cluster (hcl/builder.hcl
 * under raw_exec, `identity { file = true }`), against Petrel's secrets route.
 */
const { consul, nomad, config } = clusterClients();
const secret = "API_KEY=hunter2-bound-8f14e45fceea";
let builder: string;
let pending: string;
let petrel: TestPetrel;

beforeAll(async () => {
  [builder, pending, petrel] = await Promise.all([
    registerBuilder(nomad, { id: "secrets-builder" }),
    // Children that stay pending: a trusted build whose URL sits in Nomad, waiting.
    registerBuilder(nomad, { id: "secrets-pending", unplaceable: true }),
    startPetrel(),
  ]);
});
afterAll(() => petrel?.stop());

/** A secrets URL as Petrel issues one: its token names the repository whose config holds the secrets. */
async function issueSecretsUrl(base = petrel.url): Promise<{ token: string; secretsUrl: string }> {
  const repoUrl = `https://git.example.org/team/${randomUUID()}.git`;
  await writeRepoConfig(consul, config.kvPrefix, repoUrl, { hook: { token: "t" }, inject: `${secret}\n` });
  const token = await createSingleUse({ consul, prefix: config.kvPrefix }).issue({ purpose: "build", subject: repoUrl, ttlSeconds: 300 });
  return { token, secretsUrl: `${base}/secrets/build/${token}` };
}

const repoWith = (script: string) => createLocalRepo(inject("cluster").runDir, { ".albatros": { executable: true, content: `#!/bin/sh\n${script}\n` } });

/** `curl` of a URL from inside a build, with the task's own identity or none: prints the HTTP status. */
const curlStatus = (url: string, identity: boolean) =>
  `curl -s -o /dev/null -w '%{http_code}\\n' ${identity ? `-H "Authorization: Bearer $(cat "$NOMAD_SECRETS_DIR/nomad_token")" ` : ""}'${url}'`;

async function run(builderId: string, repo: { url: string; commit: string }, meta: Record<string, string> = {}) {
  const { DispatchedJobID } = await nomad.jobs.dispatch(builderId, { meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: "main", FLAVOR: "default", ...meta } });
  const alloc = await finishedAllocation(nomad, DispatchedJobID);
  return { job: DispatchedJobID, alloc, stdout: await readLog(nomad, alloc.ID, "stdout"), stderr: await readLog(nomad, alloc.ID, "stderr") };
}

const redeemed = async (token: string) => {
  const { jti } = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { jti: string };
  return (await consul.kv.get(`${config.kvPrefix}/_petrel/redeemed/${jti}`)) !== undefined;
};

describe("a build's secrets URL", () => {
  it("gives the build its secrets once, in a 0600 file removed after the build, and nothing to a second try of its own", async () => {
    const { secretsUrl } = await issueSecretsUrl();
    const build = await run(builder, repoWith(`stat -c %a "$SECRET_PATH"; grep -c hunter2 "$SECRET_PATH"; echo "path $SECRET_PATH"; ${curlStatus(secretsUrl, true)}`), { SECRETS_URL: secretsUrl });
    const [mode, count, path, again] = build.stdout.trim().split("\n");
    expect({ status: build.alloc.ClientStatus, mode, count, again }).toEqual({ status: "complete", mode: "600", count: "1", again: "410" });
    expect(existsSync(path!.slice("path ".length))).toBe(false);
    expect(build.stderr).not.toContain("hunter2");
  });

  it("is asked again while the only Petrel restarts, and the build gets its secrets once it is back", async () => {
    const [port] = await freePorts(1);
    const env = { PETREL_LISTEN: `127.0.0.1:${port}` };
    const restarting = await startPetrel(env);
    const { secretsUrl } = await issueSecretsUrl(restarting.url);
    await restarting.stop();
    const back = new Promise((resolve) => setTimeout(resolve, 8_000)).then(() => startPetrel(env));
    try {
      const build = await run(builder, repoWith('grep -c hunter2 "$SECRET_PATH"'), { SECRETS_URL: secretsUrl });
      expect({ status: build.alloc.ClientStatus, stdout: build.stdout }).toEqual({ status: "complete", stdout: "1\n" });
      expect(build.stderr).toMatch(/petrel: the secrets URL could not be reached \(connect ECONNREFUSED [^)]*\); asking again in \d+ s/);
      expect(build.stderr).not.toContain("hunter2");
    } finally {
      await (await back).stop();
    }
  });

  it("opens nothing to a copy read from Nomad: not without an identity, not with a forged one, not with another build's", async () => {
    const victimRepo = repoWith("exit 0");
    const { token, secretsUrl } = await issueSecretsUrl();
    const victim = await nomad.jobs.dispatch(pending, { meta: { REPO_URL: victimRepo.url, COMMIT: victimRepo.commit, BRANCH: "main", FLAVOR: "default", SECRETS_URL: secretsUrl } });
    // What anyone who may list jobs sees.
    const listed = await nomad.jobs.list(`${pending}/dispatch-`, { meta: true });
    const copy = listed.find((job) => job.ID === victim.DispatchedJobID)?.Meta?.SECRETS_URL;
    expect(copy).toBe(secretsUrl);

    const bare = await fetch(copy!);
    expect([bare.status, ((await bare.json()) as { error: string }).error]).toEqual([401, expect.stringMatching(/^no workload identity: .*identity \{ file = true \}/)]);
    const forged = await fetch(copy!, { headers: { authorization: `Bearer ${token}` } });
    expect([forged.status, ((await forged.json()) as { error: string }).error]).toEqual([401, expect.stringMatching(/^the workload identity is not valid/)]);

    // A build of the cluster, which can read Nomad too, tries with its own identity.
    const attack = await run(builder, repoWith(`${curlStatus(copy!, true)}\n${curlStatus(copy!, false)}`));
    expect(attack.stdout).toBe("403\n401\n");
    // None of it used the URL up.
    expect(await redeemed(token)).toBe(false);
    await nomad.jobs.stop(victim.DispatchedJobID);
  });
});
