import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { execExitCodes } from "../../src/executor/exec-failure.js";
import { createSingleUse } from "../../src/single-use/single-use.js";
import { spawnPetrelServe, type PetrelServe } from "../cluster/petrel-serve.js";
import { freePorts } from "../cluster/ports.js";
import { agentUser } from "../cluster/run-dir.js";
import { clusterClients } from "../support/clients.js";
import { createLocalRepo } from "../support/local-repo.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { mirrorAttack } from "../support/hostile-builds.js";
import { runBuild, runPetrelExec, runPetrelFetch } from "../support/petrel-exec.js";

const { consul, config } = clusterClients();
const script = (body: string) => ({ ".albatros": { executable: true, content: `#!/bin/sh\n${body}\n` } });
let petrel: TestPetrel;

beforeAll(async () => {
  petrel = await startPetrel();
});
afterAll(() => petrel.stop());

/** A node's folders as the executor sees them: task dir, secrets dir, git cache and GC roots. */
function node() {
  const root = mkdtempSync(join(inject("cluster").runDir, "exec-"));
  const user = agentUser();
  if (user) execFileSync("chown", [`${user.uid}:${user.gid}`, root]);
  const task = () => {
    const dir = mkdtempSync(join(root, "task-"));
    if (user) execFileSync("chown", [`${user.uid}:${user.gid}`, dir]);
    return { NOMAD_TASK_DIR: dir, NOMAD_SECRETS_DIR: dir, PETREL_GIT_CACHE: join(root, "git"), PETREL_GCROOTS: join(root, "gcroots") };
  };
  return { root, task };
}

const build = (repo: { url: string; commit: string }, extra: Record<string, string> = {}) => ({
  REPO_URL: repo.url,
  COMMIT: repo.commit,
  BRANCH: "main",
  FLAVOR: "default",
  ...extra,
});

/** Adds a commit to the repository under `ref` only (a pull request head is no branch), `file` changed to `content`. */
function pushCommit(repoUrl: string, ref: string, file: string, content = "changed\n"): string {
  const work = mkdtempSync(join(inject("cluster").runDir, "push-"));
  // The repository belongs to the agents' user; a global config of our own lets root push to it.
  const globalConfig = join(work, "..", `${work.split("/").pop()}.gitconfig`);
  writeFileSync(globalConfig, "[safe]\n\tdirectory = *\n[user]\n\tname = T\n\temail = t@petrel.invalid\n");
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: work, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: globalConfig } }).trim();
  git("clone", "--quiet", repoUrl, ".");
  writeFileSync(join(work, file), content);
  git("add", ".");
  git("commit", "--quiet", "-m", "another");
  git("push", "--quiet", "origin", `HEAD:${ref}`);
  const user = agentUser();
  if (user) execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, repoUrl]);
  return git("rev-parse", "HEAD");
}

describe("petrel exec", () => {
  it("runs the commit's .albatros with the builder contract and answers its exit code", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, {
      ...script('echo "$REPO_URL $COMMIT $BRANCH $FLAVOR"; echo "gcroot=$GCROOT"; echo "secret=${SECRET_PATH-unset}"; cat data; exit 3'),
      data: { content: "from the commit\n" },
    });
    const env = node().task();
    const result = await runBuild(build(repo, env));
    expect(result.code).toBe(3);
    const [contract, gcroot, secret, data] = result.stdout.split("\n");
    expect(data).toBe("from the commit");
    expect(contract).toBe(`${repo.url} ${repo.commit} main default`);
    expect(gcroot).toMatch(new RegExp(`^gcroot=${env.PETREL_GCROOTS}/origin-[0-9a-f]{16}/${repo.commit}-default$`));
    expect(secret).toBe("secret=unset");
    expect(result.stderr).toBe(`petrel: building ${repo.url} at ${repo.commit} (branch main, flavor default)\n`);
  });

  it("fails with its own code and one line when .albatros is missing or not executable", async () => {
    for (const files of [{ README: { content: "no script\n" } }, { ".albatros": { content: "#!/bin/sh\necho never\n" } }]) {
      const repo = createLocalRepo(inject("cluster").runDir, files);
      const result = await runBuild(build(repo, node().task()));
      expect(result).toMatchObject({ code: execExitCodes.noScript, stdout: "" });
      expect(result.stderr.trim().split("\n").at(-1)).toBe(`petrel exec: no executable .albatros at the root of ${repo.url} at ${repo.commit}`);
    }
  });

  it("fails with the checkout code for an unknown commit or a repository that isn't there", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("echo never"));
    const unknown = await runBuild(build({ url: repo.url, commit: "1".repeat(40) }, node().task()));
    expect(unknown.code).toBe(execExitCodes.checkout);
    expect(unknown.stderr).toContain(`petrel fetch: commit ${"1".repeat(40)} is not in ${repo.url}`);
    const missing = await runBuild(build({ url: "/nonexistent/repo.git", commit: repo.commit }, node().task()));
    expect(missing.code).toBe(execExitCodes.checkout);
    expect(missing.stderr).toMatch(/petrel fetch: checkout of \/nonexistent\/repo\.git failed: fatal: /);
  });

  it("never fetches itself: a commit the checkout task did not bring is a checkout failure", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("echo never"));
    const result = await runPetrelExec(build(repo, node().task()));
    expect(result).toMatchObject({ code: execExitCodes.checkout, stdout: "" });
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      `petrel exec: commit ${repo.commit} of ${repo.url} is not in the node's mirror: the builder's checkout task (petrel fetch) brings it`,
    );
  });

  it("started alongside the checkout task, waits for its word in PETREL_FETCHED before it checks out", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("echo built"));
    const { root, task } = node();
    // The allocation's shared folder, which every task of it may write.
    const shared = mkdtempSync(join(root, "alloc-"));
    chmodSync(shared, 0o777);
    const env = build(repo, { ...task(), PETREL_FETCHED: join(shared, "petrel-fetched") });
    const executor = runPetrelExec(env);
    // The executor is well under way (its Node has started) before the fetch begins.
    await new Promise((done) => setTimeout(done, 1500));
    const fetched = await runPetrelFetch(env);
    expect(fetched.code).toBe(0);
    expect(await executor).toMatchObject({ code: 0, stdout: "built\n" });

    // A word about another commit is no go-ahead.
    writeFileSync(join(shared, "other-fetched"), `fetched ${"2".repeat(40)}\n`);
    const other = await runPetrelExec(build(repo, { ...task(), PETREL_FETCHED: join(shared, "other-fetched") }));
    expect(other).toMatchObject({ code: execExitCodes.checkout, stdout: "" });
    expect(other.stderr).toContain(`petrel exec: the checkout task did not bring commit ${repo.commit}: it says 'fetched ${"2".repeat(40)}'`);
  });

  it("fails the build with the checkout task's word when its fetch failed, the task itself ending well", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("echo never"));
    const { root, task } = node();
    const shared = mkdtempSync(join(root, "alloc-"));
    chmodSync(shared, 0o777);
    const alone = build({ url: repo.url, commit: "1".repeat(40) }, task());
    const unknown = { ...alone, PETREL_FETCHED: join(shared, "petrel-fetched") };
    const executor = runPetrelExec(unknown);
    // Nomad would stop the executor were the checkout task to fail: the word is how it hears why.
    expect(await runPetrelFetch(unknown)).toMatchObject({ code: 0, stdout: "" });
    const failed = await executor;
    expect(failed).toMatchObject({ code: execExitCodes.checkout, stdout: "" });
    expect(failed.stderr.trim().split("\n").at(-1)).toBe(`petrel fetch: commit ${"1".repeat(40)} is not in ${repo.url}`);
    // Without a word to say it in, the failure is the task's own.
    expect(await runPetrelFetch(alone)).toMatchObject({ code: execExitCodes.checkout, stdout: "" });
  });

  it("refuses a malformed environment with the usage code, naming the variable", async () => {
    const result = await runPetrelExec({ REPO_URL: "/x", COMMIT: "main", BRANCH: "main", FLAVOR: "default" });
    expect(result).toMatchObject({ code: execExitCodes.usage, stderr: "petrel exec: COMMIT expected a full commit hash\n" });
    const missing = await runPetrelExec({ REPO_URL: "/x", COMMIT: "1".repeat(40), FLAVOR: "default" });
    expect(missing).toMatchObject({ code: execExitCodes.usage, stderr: "petrel exec: BRANCH is required\n" });
  });

  it("stops a build that runs past PETREL_EXEC_TIMEOUT, its whole process group included", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script('sleep 300 & echo $! > "$NOMAD_TASK_DIR/child.pid"; wait'));
    const env = node().task();
    const result = await runBuild(build(repo, { ...env, PETREL_EXEC_TIMEOUT: "1" }));
    expect(result.code).toBe(execExitCodes.timeout);
    expect(result.stderr.trim().split("\n").at(-1)).toBe("petrel exec: the build ran past its limit of 1 s and was stopped");
    const pid = readFileSync(join(env.NOMAD_TASK_DIR, "child.pid"), "utf8").trim();
    // Gone, or a zombie its new parent has yet to reap: either way no longer running.
    const state = existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] : "gone";
    expect(["gone", "Z"]).toContain(state);
  });
});

describe("petrel exec's git mirror", () => {
  it("builds later commits and pull request heads from one mirror per repository, shared by concurrent builds", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("git rev-parse HEAD; git remote get-url origin"));
    const { root, task } = node();
    const first = await runBuild(build(repo, task()));
    expect(first).toMatchObject({ code: 0, stdout: `${repo.commit}\n${repo.url}\n` });

    const pr = pushCommit(repo.url, "refs/pull/7/head", "review.txt");
    const mr = pushCommit(repo.url, "refs/merge-requests/3/head", "mr.txt");
    const branch = pushCommit(repo.url, "refs/heads/main", "next.txt");
    const results = await Promise.all([pr, mr, branch, pr].map((commit) => runBuild(build({ url: repo.url, commit }, task()))));
    expect(results.map((result) => result.stdout)).toEqual([pr, mr, branch, pr].map((commit) => `${commit}\n${repo.url}\n`));
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    expect(readdirSync(join(root, "git", "untrusted")).filter((name) => name.endsWith(".git"))).toHaveLength(1);
  });
});

describe("the node's git mirror against a hostile build", () => {
  it("keeps every write of an untrusted build out of the mirrors, and a trusted build runs its own commit", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, script("echo honest build"));
    const { root, task } = node();
    // The trusted mirror exists first, as on a node that has built the repository before.
    expect(await runBuild(build(repo, { ...task(), TRUSTED: "true" }))).toMatchObject({ code: 0, stdout: "honest build\n" });
    const hostile = pushCommit(repo.url, "refs/pull/9/head", ".albatros", mirrorAttack);
    const attack = await runBuild(build({ url: repo.url, commit: hostile }, task()));
    expect(attack).toMatchObject({ code: 0, stdout: "trusted mirrors: 1\nuntrusted mirrors: 1\nattack done\n" });

    const again = await runBuild(build(repo, { ...task(), TRUSTED: "true" }));
    expect(again).toMatchObject({ code: 0, stdout: "honest build\n" });
    for (const level of ["trusted", "untrusted"]) {
      const mirror = join(root, "git", level, readdirSync(join(root, "git", level)).find((name) => name.endsWith(".git"))!);
      expect(() => execFileSync("git", ["-C", mirror, "fsck", "--strict", "--no-dangling"], { stdio: "pipe" }), level).not.toThrow();
    }
  });
});

/** Redemption itself, bound to a build's Nomad identity, is test/integration/secrets.test.ts's. */
describe("petrel exec's secrets", () => {
  async function trustedRepo(body: string, base = petrel.url) {
    const repo = createLocalRepo(inject("cluster").runDir, script(body));
    await writeRepoConfig(consul, config.kvPrefix, repo.url, { hook: { token: "t" }, inject: "API_KEY=hunter2-secret\n" });
    const token = await createSingleUse({ consul, prefix: config.kvPrefix }).issue({ purpose: "build", subject: repo.url, ttlSeconds: 60 });
    return { repo, secretsUrl: `${base}/secrets/build/${token}` };
  }

  it("shows Petrel no workload identity outside Nomad, and is refused saying what the builder needs", async () => {
    const { repo, secretsUrl } = await trustedRepo("echo never");
    const result = await runBuild(build(repo, { ...node().task(), SECRETS_URL: secretsUrl }));
    expect(result).toMatchObject({ code: execExitCodes.secrets, stdout: "" });
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      "petrel exec: the secrets URL refused redemption: HTTP 401 (no workload identity: the builder's executor task needs `identity { file = true }`, whose token petrel exec sends as a bearer)",
    );
    expect(result.stderr).not.toContain(secretsUrl.split("/").pop());
  });

  describe("over Petrel's own TLS", () => {
    let tlsPetrel: PetrelServe;
    let caFile: string;
    beforeAll(async () => {
      const cluster = inject("cluster");
      const dir = mkdtempSync(join(cluster.runDir, "exec-tls-"));
      chmodSync(dir, 0o755);
      const env = { PATH: process.env.PATH, PETREL_KV_PREFIX: config.kvPrefix };
      tlsPetrel = await spawnPetrelServe({ nomadAddr: cluster.nomadAddr, consulAddr: cluster.consulAddr, logDir: dir, env, tlsDir: join(dir, "tls") });
      // Where an operator puts it for the builds: a file the build's user can read.
      caFile = join(dir, "petrel-ca.pem");
      writeFileSync(caFile, tlsPetrel.ca!, { mode: 0o644 });
    });
    afterAll(() => tlsPetrel?.stop());

    it("reaches Petrel over HTTPS when the node trusts Petrel's generated CA, and never an unverified server", async () => {
      const { repo, secretsUrl } = await trustedRepo('grep -c hunter2 "$SECRET_PATH"', tlsPetrel.url);
      expect(secretsUrl).toMatch(/^https:/);
      const unverified = await runBuild(build(repo, { ...node().task(), SECRETS_URL: secretsUrl }));
      expect(unverified).toMatchObject({ code: execExitCodes.secrets, stdout: "" });
      expect(unverified.stderr).toMatch(/petrel exec: the secrets URL could not be reached \((self-signed certificate in certificate chain|unable to verify the first certificate)\)/);
      // Past TLS, Petrel itself answers: with no workload identity outside Nomad, a refusal.
      const verified = await runBuild(build(repo, { ...node().task(), SECRETS_URL: secretsUrl, NODE_EXTRA_CA_CERTS: caFile }));
      expect(verified).toMatchObject({ code: execExitCodes.secrets, stdout: "" });
      expect(verified.stderr).toContain("HTTP 401 (no workload identity");
    });
  });

  it("fails with the secrets code for a forged token or an unreachable Petrel", async () => {
    const { repo, secretsUrl } = await trustedRepo("echo never");
    const forged = await runBuild(build(repo, { ...node().task(), SECRETS_URL: `${secretsUrl}x` }));
    expect(forged).toMatchObject({ code: execExitCodes.secrets, stdout: "" });
    expect(forged.stderr).toContain("HTTP 401 (this token is not valid)");
    const [port] = await freePorts(1);
    const started = Date.now();
    const unreachable = await runBuild(build(repo, { ...node().task(), SECRETS_URL: `http://127.0.0.1:${port}/secrets/build/x`, PETREL_SECRETS_WAIT: "3" }));
    expect(unreachable).toMatchObject({ code: execExitCodes.secrets, stdout: "" });
    expect(unreachable.stderr).toMatch(/petrel: the secrets URL could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); asking again in 1 s\n/);
    expect(unreachable.stderr).toMatch(/petrel exec: the secrets URL could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:\d+\) within 3 s/);
    // It asked for about as long as it was told to, not at once and not for ever.
    expect(Date.now() - started).toBeGreaterThan(2_500);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
