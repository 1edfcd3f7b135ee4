import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsul, type Consul } from "../../src/consul/client.js";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { readConfig } from "../../src/config.js";
import { createNomad, type Nomad } from "../../src/nomad/client.js";
import { checkout, childrenOf, giveToCheckoutUser, registerIsolatedBuilder } from "../cluster/builder.js";
import { buildPetrelImages, importBaseImage, startDocker, type PetrelImages, type RunningDocker } from "../cluster/docker.js";
import { startConsul, type RunningConsul } from "../cluster/consul.js";
import { startGitea, type RunningGitea } from "../cluster/gitea.js";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { startNomad, type RunningNomad } from "../cluster/nomad.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { GiteaClient, type GiteaRepo } from "../forge/gitea-api.js";
import { pushCommit, type FileContent } from "../forge/gitea-git.js";
import { finishedAllocation, readLog } from "../support/allocations.js";
import { createNodeCache, inCache, signaturesOf, verifyInCache, type NodeCache } from "../support/nix-cache.js";
import { mirrorAttack } from "../support/hostile-builds.js";
import { derivationsOf, graphExpression } from "../support/nix-graph.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";

export type IsolatingDriver = "exec" | "docker";

/** What a file that runs the suite may build on: its engine and images under docker. */
export type IsolatedSuite = {
  nomad: () => Nomad;
  consul: () => { client: Consul; addr: string };
  agent: () => RunningNomad;
  gitea: () => RunningGitea;
  alice: () => GiteaClient;
  docker: () => { engine: RunningDocker; images: PetrelImages };
  finishedBuild: typeof finishedBuild;
  builders: typeof builders;
  prefix: string;
};

/**
 * The builder as production runs it, under an isolating driver: a root Nomad
 * client set up with hcl/nomad-client.hcl runs the executor as nobody with no
 * capabilities (under docker: in the Dockerfile's `builder` image, Petrel
 * from the image, on an engine of the run's own); Petrel dispatches it for a
 * push to a real Gitea; the build goes through a root nix-daemon that signs
 * and spools every path it builds. The checkout task runs as another user
 * (`checkoutUser`), the only one who may write the node's git cache.
 */
const prefix = "petrel-test";
const secret = "isolated-secret-4a8a08f09d37";
const apiToken = "isolated-api-token-1c383cd30b7c";
let run: RunDir;
let nixDir: string;
let gitCache: string;
let node: NodeCache;
let daemon: RunningNixDaemon;
/** The node's daemon for builds that are not trusted: no key, no hook. */
let untrustedDaemon: RunningNixDaemon;
/** A Consul of the suite's own: a Nomad client owns the task services in its Consul agent, and removes any other client's. */
let consulAgent: RunningConsul;
let consul: Consul;
let agent: RunningNomad;
let nomad: Nomad;
let gitea: RunningGitea;
let petrel: TestPetrel;
let alice: GiteaClient;
let docker: { engine: RunningDocker; images: PetrelImages } | undefined;
/** Apart from `docker`: an engine whose images failed to build is stopped all the same. */
let engine: RunningDocker | undefined;
const builders = { trusted: "isolated-builder", untrusted: "isolated-builder-untrusted", withCapabilities: "isolated-builder-capabilities" };

/**
 * The builder that shows the key is within reach but for the defaults. The
 * exec driver hands a user Nomad's default capabilities (dac_override among
 * them) unless cap_drop takes them; docker gives a user other than root no
 * effective capabilities at all, so there only root keeps them.
 */
const controls: Record<IsolatingDriver, { when: string; variables: Record<string, unknown>; uid: number }> = {
  exec: { when: "when the builder keeps Nomad's default capabilities", variables: { cap_drop: [] }, uid: 65534 },
  docker: { when: "when the builder runs as root with Nomad's default capabilities", variables: { cap_drop: [], user: "root" }, uid: 0 },
};

/**
 * A program of the node's, empty, made for the suite: a build that could
 * write it could change what every later build on the node runs. Not in the
 * docker image, whose /usr is its own.
 */
const nodeProgram = `/usr/bin/petrel-probe-${process.pid}`;
const nodeProgramSeen: Record<IsolatingDriver, string> = { exec: "node program: unchanged", docker: "node program: absent" };

/** What the build script reports: who it runs as, whether it can read the key, its secrets, whether it can change a node's program; then it builds. */
function albatros(keyPath: string): string {
  return `#!/bin/sh
echo "uid: $(id -u)"
grep '^CapEff' /proc/self/status
if cat ${keyPath} >/dev/null 2>&1; then echo "signing key: readable"; else echo "signing key: unreadable"; fi
if [ -n "\${SECRET_PATH:-}" ]; then echo "secrets: $(grep -c '${secret}' "$SECRET_PATH") line, mode $(stat -c %a "$SECRET_PATH")"; else echo "secrets: none"; fi
if [ ! -e ${nodeProgram} ]; then echo "node program: absent"; elif echo changed >> ${nodeProgram} 2>/dev/null; then echo "node program: changed"; else echo "node program: unchanged"; fi
exec nix-build -o "$GCROOT" graph.nix
`;
}

/**
 * A repository of alice's whose pushes reach Petrel: alice's pushes to main
 * are trusted (and get the secrets) when `trusted`, any other branch never is.
 */
async function repoWithBuild(name: string, trusted: boolean, expression: string, { untrustedBuilder = true } = {}): Promise<{ repo: GiteaRepo; commit: string }> {
  const repo = await alice.createRepo(name);
  await writeRepoConfig(consul, prefix, repo.clone_url, {
    hook: { secret, token: "isolated-token-c4ca4238a0b9" },
    trusted: { senders: trusted ? ["alice"] : [], branches: ["main"] },
    inject: `DEPLOY_KEY=${secret}`,
    builder: builders.trusted,
    ...(untrustedBuilder ? { untrustedBuilder: builders.untrusted } : {}),
  });
  await alice.addWebhook(alice.username, repo.name, { url: `${petrel.url}/hook`, secret, events: ["push"] });
  const commit = await push(repo, "main", { ".albatros": { content: albatros(join(nixDir, "secret-key")), executable: true }, "graph.nix": expression });
  return { repo, commit };
}

const push = (repo: GiteaRepo, branch: string, files: Record<string, FileContent>) =>
  pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch, files, message: "CI" });

/** The id of the approval record waiting for `commit`, if any. */
async function awaitingApproval(commit: string): Promise<string | undefined> {
  const entries = ((await consul.kv.get({ key: `${prefix}/_petrel/approval/`, recurse: true })) ?? []) as { Value: string | null }[];
  return entries.map((entry) => JSON.parse(entry.Value ?? "{}") as { id?: string; request?: { commit: string } }).find((record) => record.request?.commit === commit)?.id;
}

/** The finished child of `builder` that Petrel dispatched for `commit`, and its output. */
async function finishedBuild(builder: string, commit: string) {
  const child = await waitUntil(`a ${builder} child for ${commit}`, async () => (await childrenOf(nomad, builder)).find((c) => c.meta.COMMIT === commit), { timeoutMs: 30_000 });
  const alloc = await finishedAllocation(nomad, child.id);
  return { child, alloc, stdout: await readLog(nomad, alloc.ID, "stdout"), stderr: await readLog(nomad, alloc.ID, "stderr") };
}

export function describeIsolatedBuilds(driver: IsolatingDriver): IsolatedSuite {
  beforeAll(async () => {
    run = createRunDir("petrel-isolated-");
    writeFileSync(nodeProgram, "", { mode: 0o755 });
    // The daemon's folder (nix.conf, socket, signing key) sits under /nix, which builds see
    // read-only: the key is on a path the build can name, and only its mode keeps it out.
    nixDir = mkdtempSync("/nix/var/nix/petrel-test-");
    chmodSync(nixDir, 0o755);
    node = await createNodeCache(nixDir, "petrel-isolated-1");
    const hook = await node.installHook(join(run.path, "post-build-hook"));
    daemon = await startNixDaemon(run, `post-build-hook = ${hook}\nsecret-key-files = ${node.secretKey}\n`, { confDir: nixDir });
    const untrustedDir = join(nixDir, "untrusted");
    mkdirSync(untrustedDir, { mode: 0o755 });
    untrustedDaemon = await startNixDaemon(run, "", { confDir: untrustedDir });

    consulAgent = await startConsul(run);
    consul = createConsul(readConfig({ CONSUL_HTTP_ADDR: consulAgent.addr }).consul);
    gitCache = giveToCheckoutUser(run.sub("git-cache"));
    const gcroots = run.sub("gcroots");
    if (driver === "docker") {
      engine = await startDocker(run);
      docker = { engine, images: await buildPetrelImages(engine, await importBaseImage(engine)) };
    }
    agent = await startNomad(run, {
      consulAddr: consulAgent.addr,
      isolated: { hostVolumes: { nix: "/nix", petrel: checkout, "petrel-gcroots": gcroots, "petrel-git-cache": gitCache }, ...(docker ? { dockerHost: docker.engine.host } : {}) },
    });
    nomad = createNomad(readConfig({ NOMAD_ADDR: agent.addr }).nomad);
    const variables = { driver, ...(docker ? { image: docker.images.builder } : {}), git_cache: gitCache, gcroots, nix_remote: `unix://${daemon.socket}` };
    await registerIsolatedBuilder(nomad, builders.trusted, { ...variables, untrusted_nix_remote: `unix://${untrustedDaemon.socket}` });
    await registerIsolatedBuilder(nomad, builders.untrusted, variables);
    await registerIsolatedBuilder(nomad, builders.withCapabilities, { ...variables, ...controls[driver].variables });

    [gitea, petrel] = await Promise.all([startGitea(), startPetrel({ NOMAD_ADDR: agent.addr, CONSUL_HTTP_ADDR: consulAgent.addr, PETREL_API_TOKEN: apiToken })]);
    const admin = new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token);
    alice = await admin.createUser("alice");
  }, driver === "docker" ? 420_000 : 120_000);

  afterAll(async () => {
    await petrel?.stop();
    if (gitea) expect(await gitea.stop()).toEqual([]);
    await agent?.stop();
    await consulAgent?.stop();
    await engine?.stop();
    await daemon?.stop();
    await untrustedDaemon?.stop();
    node?.remove();
    rmSync(nixDir, { recursive: true, force: true });
    rmSync(nodeProgram, { force: true });
    expect(await run?.remove()).toEqual([]);
  });

  describe(`builds under the ${driver} driver, isolated as in production`, () => {
    const tag = `iso-${Date.now()}`;
    const failing = graphExpression(tag, { failTop: true });
    let trusted: Awaited<ReturnType<typeof repoWithBuild>>;

    it("runs a trusted push as nobody without capabilities: its secrets in a 0600 file, the signing key out of reach", async () => {
      trusted = await repoWithBuild("isolated-trusted", true, failing);
      const build = await finishedBuild(builders.trusted, trusted.commit);
      expect(build.child.meta.TRUSTED).toBe("true");
      expect(build.stdout.split("\n").slice(0, 5)).toEqual(["uid: 65534", "CapEff:\t0000000000000000", "signing key: unreadable", "secrets: 1 line, mode 600", nodeProgramSeen[driver]]);
      expect(build.alloc.ClientStatus).toBe("failed");
      expect(build.stderr).toMatch(/builder for '\/nix\/store\/[a-z0-9]{32}-petrel-top-iso-\d+\.drv' failed/);
    });

    it("signs and caches every path the failed build made, its intermediates included", async () => {
      const env = { ...process.env, ...daemon.clientEnv };
      const intermediates = [...(await derivationsOf(failing, env))].filter(([drv]) => !drv.includes("-petrel-top-")).flatMap(([, outputs]) => outputs);
      expect(intermediates).toHaveLength(3);
      const cache = join(run.path, "cache");
      expect((await node.uploadOnce(cache)).code).toBe(0);
      for (const path of intermediates) expect(inCache(cache, path), path).toBe(true);
      expect(await verifyInCache(cache, intermediates, node.publicKey)).toBe(0);
      expect(node.queued()).toEqual([]);
    });

    it("gives an untrusted push no secrets", async () => {
      const { commit } = await repoWithBuild("isolated-untrusted", false, graphExpression(`${tag}-untrusted`));
      const build = await finishedBuild(builders.untrusted, commit);
      expect(build.child.meta.TRUSTED).toBe("false");
      expect(build.stdout.split("\n").slice(0, 5)).toEqual(["uid: 65534", "CapEff:\t0000000000000000", "signing key: unreadable", "secrets: none", nodeProgramSeen[driver]]);
      expect(build.alloc.ClientStatus).toBe("complete");
    });

    it("keeps an untrusted build's writes out of the node's git mirrors: the next trusted build runs its own commit, its secrets only in its file", async () => {
      const { repo } = await repoWithBuild("isolated-mirror", true, graphExpression(`${tag}-mirror`));
      // The untrusted build finds the cache through its work tree's alternates and goes for every mirror in it.
      const attack = await push(repo, "attack", { ".albatros": { content: mirrorAttack, executable: true } });
      const hostile = await finishedBuild(builders.untrusted, attack);
      expect(hostile.child.meta.TRUSTED).toBe("false");
      expect(hostile.stdout).toMatch(/^trusted mirrors: [1-9]\d*\nuntrusted mirrors: [1-9]\d*\nattack done\n$/);

      const honest = await push(repo, "main", { ".albatros": { content: `#!/bin/sh\necho "honest build of $COMMIT"\ngrep -c '${secret}' "$SECRET_PATH"\n`, executable: true } });
      const build = await finishedBuild(builders.trusted, honest);
      expect(build.child.meta.TRUSTED).toBe("true");
      expect(build.stdout).toBe(`honest build of ${honest}\n1\n`);
      expect(build.alloc.ClientStatus).toBe("complete");
      for (const output of [hostile.stdout, hostile.stderr, build.stderr]) expect(output).not.toContain(secret);
    });

    it("builds an untrusted build's derivations in Nix's sandbox: no signing key folder, no git mirror, no other build's checkout", async () => {
      const hidden = [nixDir, gitCache, join(run.path, "nomad", "data", "alloc")];
      // Each path's listing, or "hidden"; /usr/bin is in the sandbox, so a listing that works shows.
      const probe = [...hidden, "/usr/bin"].map((path) => `if /usr/bin/ls ${path} >/dev/null 2>&1; then echo ${path}: visible; else echo ${path}: hidden; fi`).join("; ");
      const expression = `derivation { name = "petrel-probe-${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "(${probe}) > $out" ]; }`;
      const { repo } = await repoWithBuild("isolated-sandbox", false, graphExpression(`${tag}-sandbox`));
      const commit = await push(repo, "main", { ".albatros": { content: '#!/bin/sh\nnix-build -o "$GCROOT" probe.nix >/dev/null && cat "$GCROOT"\n', executable: true }, "probe.nix": expression });
      const build = await finishedBuild(builders.untrusted, commit);
      expect(build.child.meta.TRUSTED).toBe("false");
      expect(build.stdout).toBe([...hidden.map((path) => `${path}: hidden`), "/usr/bin: visible", ""].join("\n"));
    });

    it("builds an untrusted push on a repository without an untrusted builder only once approved, and nothing of it reaches the trusted cache", async () => {
      const { repo } = await repoWithBuild("isolated-approval", true, graphExpression(`${tag}-main`), { untrustedBuilder: false });
      const expression = graphExpression(`${tag}-approved`);
      const commit = await push(repo, "feature", { ".albatros": { content: '#!/bin/sh\necho "secrets: ${SECRET_PATH:-none}"\nexec nix-build -o "$GCROOT" graph.nix\n', executable: true }, "graph.nix": expression });
      const approval = await waitUntil("the approval record", () => awaitingApproval(commit));
      expect((await childrenOf(nomad, builders.trusted)).filter((child) => child.meta.COMMIT === commit)).toEqual([]);

      const answer = await fetch(`${petrel.url}/build/approve?id=${approval}`, { method: "POST", headers: { authorization: `Bearer ${apiToken}` } });
      expect(answer.status).toBe(201);
      const build = await finishedBuild(builders.trusted, commit);
      expect(build.child.meta).toMatchObject({ TRUSTED: "false", TRUST_REASON: expect.stringMatching(/^approved by operator; branch feature matches no trusted.branches pattern/) as unknown });
      expect({ status: build.alloc.ClientStatus, first: build.stdout.split("\n")[0] }).toEqual({ status: "complete", first: "secrets: none" });
      // Built, through the untrusted daemon: unsigned, and queued for no cache.
      const outputs = [...(await derivationsOf(expression, { ...process.env, ...daemon.clientEnv })).values()].flat();
      expect(outputs).toHaveLength(4);
      for (const path of outputs) expect(await signaturesOf(path), path).toEqual([]);
      expect(node.queued().filter((entry) => entry.includes(`${tag}-approved`))).toEqual([]);
    });

    it(`reads the key ${controls[driver].when}: the defaults are what keep it out`, async () => {
      const { REPO_URL, COMMIT, BRANCH, FLAVOR } = (await nomad.jobs.get((await childrenOf(nomad, builders.trusted))[0]!.id)).Meta!;
      const dispatched = await nomad.jobs.dispatch(builders.withCapabilities, { meta: { REPO_URL: REPO_URL!, COMMIT: COMMIT!, BRANCH: BRANCH!, FLAVOR: FLAVOR! } });
      const alloc = await finishedAllocation(nomad, dispatched.DispatchedJobID);
      const lines = (await readLog(nomad, alloc.ID, "stdout")).split("\n");
      expect(lines.slice(0, 3)).toEqual([`uid: ${controls[driver].uid}`, expect.stringMatching(/^CapEff:\t0*[1-9a-f][0-9a-f]*$/), "signing key: readable"]);
      // Even so, the node's programs are out of its reach: mounted read-only, not linked into its chroot.
      expect(lines[4]).toBe(nodeProgramSeen[driver]);
      expect(readFileSync(nodeProgram, "utf8")).toBe("");
    });
  });

  return {
    nomad: () => nomad,
    consul: () => ({ client: consul, addr: consulAgent.addr }),
    agent: () => agent,
    gitea: () => gitea,
    alice: () => alice,
    docker: () => docker ?? unavailable("the suite runs no docker engine under the exec driver"),
    finishedBuild,
    builders,
    prefix,
  };
}

function unavailable(reason: string): never {
  throw new Error(reason);
}
