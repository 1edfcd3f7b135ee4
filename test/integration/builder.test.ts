import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { readRepoConfig, writeRepoConfig } from "../../src/consul/repo-config.js";
import { createSingleUse } from "../../src/single-use/single-use.js";
import { UpstreamError } from "../../src/upstream-error.js";
import { builderHclPath, registerBuilder } from "../cluster/builder.js";
import { nodeSystemVolumes } from "../cluster/nomad.js";
import { finishedAllocation, readLog } from "../support/allocations.js";
import { clusterClients } from "../support/clients.js";
import { createLocalRepo } from "../support/local-repo.js";
import { startPetrel } from "../support/petrel.js";

const { nomad, consul, config } = clusterClients();
const nomadClientHclPath = new URL("../../hcl/nomad-client.hcl", import.meta.url);
let builder: string;

beforeAll(async () => {
  builder = await registerBuilder(nomad);
});

describe("hcl/builder.hcl on the real Nomad", () => {
  it("registers as a parameterized job with the Albatros meta contract", async () => {
    const job = await nomad.jobs.get(builder);
    expect(job.ID).toBe("builder");
    expect(job.ParameterizedJob?.MetaRequired).toEqual(["REPO_URL", "COMMIT", "BRANCH", "FLAVOR"]);
    expect(job.ParameterizedJob?.MetaOptional).toContain("SECRETS_URL");
  });

  it("isolates the executor by default, gives it an image only with docker, and raw_exec neither", async () => {
    const hcl = readFileSync(builderHclPath, "utf8");
    const parse = (variables: Record<string, string | string[]>) => nomad.jobs.parse(hcl, variables);
    const named = (job: Awaited<ReturnType<typeof parse>>, name = "executor") => job.TaskGroups?.[0]?.Tasks.find((t) => t.Name === name);
    const taskOf = async (variables: Record<string, string | string[]>) => named(await parse(variables));
    // Under docker the image's entrypoint is Petrel, and Petrel isn't mounted from the node.
    const docker = await taskOf({ driver: "docker", image: "registry.example.org/ci/executor:1", petrel_command: ["/usr/bin/node", "/elsewhere/cli.js"] });
    expect({ driver: docker?.Driver, user: docker?.User, config: docker?.Config, mounts: docker?.VolumeMounts?.map((m) => m.Volume) }).toEqual({
      driver: "docker",
      user: "nobody",
      config: { image: "registry.example.org/ci/executor:1", args: ["exec"], network_mode: "host", cap_drop: ["all"] },
      mounts: ["nix", "petrel-gcroots", "petrel-git-cache"],
    });
    const exec = await parse({});
    const task = named(exec);
    expect({ driver: task?.Driver, user: task?.User, capDrop: task?.Config?.cap_drop, command: task?.Config?.command }).toEqual({
      driver: "exec",
      user: "nobody",
      capDrop: ["all"],
      command: "/usr/bin/node",
    });
    expect(task?.Config).not.toHaveProperty("image");
    // The node's programs, libraries and CA certificates, mounted read-only instead of linked into
    // each task's chroot: the volumes a build node declares with hcl/nomad-client.hcl.
    const declared = [...readFileSync(nomadClientHclPath, "utf8").matchAll(/host_volume "(node-[^"]+)" \{\s*path\s*=\s*"([^"]+)"\s*read_only\s*=\s*true/g)];
    expect(Object.fromEntries(declared.map(([, volume, path]) => [volume, path]))).toEqual(nodeSystemVolumes);
    const nodeSystem = Object.entries(nodeSystemVolumes).map(([volume, path]) => [volume, path, true] as const);
    expect(task?.VolumeMounts?.map((m) => [m.Volume, m.Destination, m.ReadOnly])).toEqual([
      ["nix", "/nix", true],
      ...nodeSystem,
      ["petrel", "/opt/petrel", true],
      ["petrel-gcroots", "/nix/var/nix/gcroots/petrel", false],
      ["petrel-git-cache", "/var/cache/petrel/git", true],
    ]);
    // The checkout task alone writes the git cache, as another user than the build's. It starts with
    // the executor, which waits for its word in the allocation's shared folder.
    const checkout = named(exec, "checkout");
    expect({ user: checkout?.User, lifecycle: checkout?.Lifecycle ?? null, capDrop: checkout?.Config?.cap_drop, args: checkout?.Config?.args }).toEqual({
      user: "petrel-git",
      lifecycle: null,
      capDrop: ["all"],
      args: ["/opt/petrel/dist/cli.js", "fetch"],
    });
    for (const each of [checkout, task]) expect(each?.Env?.PETREL_FETCHED).toBe("${NOMAD_ALLOC_DIR}/petrel-fetched");
    // Its Node makes no TLS connection: a CA bundle named by the node's environment, which exec tasks inherit, is not parsed at its start.
    expect(checkout?.Env?.NODE_EXTRA_CA_CERTS).toBe("");
    // Its word says how the fetch went, failures included: it keeps no log, so no log collector starts for it.
    const logs = (each: typeof task) => (each as { LogConfig?: { Disabled?: boolean } } | undefined)?.LogConfig?.Disabled;
    expect({ checkout: logs(checkout), executor: logs(task) }).toEqual({ checkout: true, executor: false });
    expect(checkout?.VolumeMounts?.map((m) => [m.Volume, m.Destination, m.ReadOnly])).toEqual([
      ["nix", "/nix", true],
      ...nodeSystem,
      ["petrel", "/opt/petrel", true],
      ["petrel-git-cache", "/var/cache/petrel/git", false],
    ]);
    expect(Object.keys(exec.TaskGroups?.[0]?.Volumes ?? {}).sort()).toEqual(["nix", ...nodeSystem.map(([volume]) => volume), "petrel", "petrel-gcroots", "petrel-git-cache"]);
    // A builder of another user (the untrusted one) roots its builds' outputs in a volume of its own.
    const untrusted = await parse({ user: "petrel-untrusted", gcroots_volume: "petrel-gcroots-untrusted", gcroots: "/nix/var/nix/gcroots/petrel-untrusted" });
    expect(named(untrusted)?.VolumeMounts?.map((m) => [m.Volume, m.Destination, m.ReadOnly])).toEqual([
      ["nix", "/nix", true],
      ...nodeSystem,
      ["petrel", "/opt/petrel", true],
      ["petrel-gcroots-untrusted", "/nix/var/nix/gcroots/petrel-untrusted", false],
      ["petrel-git-cache", "/var/cache/petrel/git", true],
    ]);
    expect(Object.keys(untrusted.TaskGroups?.[0]?.Volumes ?? {}).sort()).toEqual(["nix", ...nodeSystem.map(([volume]) => volume), "petrel", "petrel-gcroots-untrusted", "petrel-git-cache"]);
    await expect(parse({ gcroots_volume: "gcroots" })).rejects.toThrow('The GC roots\' volume must sort after "nix"');
    const raw = await parse({ driver: "raw_exec" });
    expect({ user: named(raw)?.User, config: named(raw)?.Config, volumes: raw.TaskGroups?.[0]?.Volumes ?? {} }).toEqual({
      user: "",
      config: { command: "/usr/bin/node", args: ["/opt/petrel/dist/cli.js", "exec"] },
      volumes: {},
    });
    await expect(taskOf({ driver: "podman" })).rejects.toThrow("The driver must be exec, docker or raw_exec.");
  });

  it("clones the dispatched commit, runs its .albatros and keeps its stdout for the logs API", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, {
      ".albatros": { executable: true, content: '#!/bin/sh\necho "built $REPO_URL $COMMIT $BRANCH $FLAVOR"\ncat payload.txt\n' },
      "payload.txt": { content: "hello from the commit\n" },
    });
    const repoConfig = { hook: { token: "hook-token-1" }, trusted: { senders: ["alice"] } };
    await writeRepoConfig(consul, config.kvPrefix, repo.url, repoConfig);
    expect(await readRepoConfig(consul, config.kvPrefix, repo.url)).toEqual({ ...repoConfig, builder: "builder", autoCancel: true });

    const dispatched = await nomad.jobs.dispatch(builder, {
      meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: repo.branch, FLAVOR: "default" },
    });
    expect(dispatched.DispatchedJobID).toMatch(/^builder\/dispatch-\d+-[0-9a-f]{8}$/);

    const alloc = await finishedAllocation(nomad, dispatched.DispatchedJobID);
    const stdout = await readLog(nomad, alloc.ID, "stdout");
    expect({ status: alloc.ClientStatus, stdout }).toEqual({
      status: "complete",
      stdout: `built ${repo.url} ${repo.commit} main default\nhello from the commit\n`,
    });
  });

  it("hands a trusted build its secrets through SECRETS_URL, once, and a build without it none", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, {
      ".albatros": { executable: true, content: '#!/bin/sh\nif [ -n "${SECRET_PATH-}" ]; then stat -c %a "$SECRET_PATH"; cat "$SECRET_PATH"; else echo "no secrets"; fi\n' },
    });
    await writeRepoConfig(consul, config.kvPrefix, repo.url, { hook: { token: "hook-token-2" }, inject: "DEPLOY_KEY=k-42\n" });
    const petrel = await startPetrel();
    try {
      const token = await createSingleUse({ consul, prefix: config.kvPrefix }).issue({ purpose: "build", subject: repo.url, ttlSeconds: 60 });
      const meta = { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: repo.branch, FLAVOR: "default" };
      const [trusted, untrusted] = await Promise.all(
        [{ ...meta, SECRETS_URL: `${petrel.url}/secrets/build/${token}` }, meta].map(async (m) => {
          const alloc = await finishedAllocation(nomad, (await nomad.jobs.dispatch(builder, { meta: m })).DispatchedJobID);
          return { status: alloc.ClientStatus, stdout: await readLog(nomad, alloc.ID, "stdout") };
        }),
      );
      expect(trusted).toEqual({ status: "complete", stdout: "600\nDEPLOY_KEY=k-42\n" });
      expect(untrusted).toEqual({ status: "complete", stdout: "no secrets\n" });
    } finally {
      await petrel.stop();
    }
  });

  it("fails the build when the commit has no executable .albatros, saying why on stderr", async () => {
    const repo = createLocalRepo(inject("cluster").runDir, { "README": { content: "no build script\n" } });
    const { DispatchedJobID } = await nomad.jobs.dispatch(builder, {
      meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: "main", FLAVOR: "default" },
    });
    const alloc = await finishedAllocation(nomad, DispatchedJobID);
    expect(alloc.ClientStatus).toBe("failed");
    expect(await readLog(nomad, alloc.ID, "stderr")).toContain("no executable .albatros");
  });

  it("refuses a dispatch that lacks the required meta", async () => {
    const error = await nomad.jobs.dispatch(builder, { meta: { REPO_URL: "x" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    // Nomad v1.11.3 answers this refusal with 500, not 400.
    expect((error as UpstreamError).status).toBe(500);
    const missing = /^Dispatch did not provide required meta keys: \[(.*)\]$/.exec((error as UpstreamError).body.trim());
    expect(missing?.[1]?.split(" ").sort()).toEqual(["BRANCH", "COMMIT", "FLAVOR"]);
  });

  it("answers the same child for a repeated idempotency token", async () => {
    const meta = { REPO_URL: "/nonexistent", COMMIT: "0".repeat(40), BRANCH: "main", FLAVOR: "default" };
    const first = await nomad.jobs.dispatch(builder, { meta, idempotencyToken: "delivery-1" });
    const again = await nomad.jobs.dispatch(builder, { meta, idempotencyToken: "delivery-1" });
    expect(again.DispatchedJobID).toBe(first.DispatchedJobID);
    expect(again.EvalID).toBe("");
  });
});
