import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config.js";
import { createConsul, type Consul } from "../../src/consul/client.js";
import { consulKeys } from "../../src/consul/keys.js";
import { RepoConfigError, writeRepoConfig } from "../../src/consul/repo-config.js";
import { followRepoConfigs, type RepoConfigs } from "../../src/consul/repo-configs.js";
import { createLogger } from "../../src/log.js";
import { upstreamCalls } from "../../src/upstream-calls.js";
import { UpstreamUnavailableError } from "../../src/upstream-error.js";
import { registerBuilder } from "../cluster/builder.js";
import { startConsul, type RunningConsul } from "../cluster/consul.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { waitUntil } from "../cluster/wait.js";
import { clusterClients } from "../support/clients.js";
import { giteaPush } from "../support/payloads.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { sendHook } from "../support/send-hook.js";

/**
 * Repository configs from memory: one blocking query on a Consul of this
 * file's own (stopped at the end), so what a get costs is counted exactly.
 */
const prefix = "petrel-configs";
const secret = "configs-secret-c81e728d9d4c";
const { nomad } = clusterClients();
let run: RunDir;
let agent: RunningConsul;
let consul: Consul;
let configs: RepoConfigs;

beforeAll(async () => {
  run = createRunDir("petrel-configs-");
  agent = await startConsul(run);
  consul = createConsul(readConfig({ CONSUL_HTTP_ADDR: agent.addr }).consul);
  configs = followRepoConfigs({ consul, prefix, logger: createLogger("silent") });
});

afterAll(async () => {
  configs?.stop();
  await agent?.stop();
  expect(await run?.remove()).toEqual([]);
});

const consulReads = () => upstreamCalls().consul.read;

/**
 * Resolves once `count` gets of `url` asked Consul nothing and all answered
 * the config built by `builder`: the query is current and holds that config.
 * A direct read can see a write before the query's answer reaches memory, so
 * memory is awaited for the config itself, not only for being current.
 */
async function fromMemory(url: string, builder: string, count = 50) {
  return waitUntil(`${url}'s config built by ${builder} from memory`, async () => {
    const before = consulReads();
    const answers = await Promise.all(Array.from({ length: count }, () => configs.get(url)));
    return consulReads() === before && answers.every((config) => config?.builder === builder) ? true : undefined;
  });
}

describe("repository configs followed with a Consul blocking query", () => {
  const url = "https://git.example.org/alice/widget.git";

  it("finds a config written a moment ago, then answers from memory with no Consul call", async () => {
    await writeRepoConfig(consul, prefix, url, { hook: { secret }, builder: "first" });
    expect(await configs.get(url)).toMatchObject({ builder: "first" });
    expect(await fromMemory(url, "first")).toBe(true);
  });

  it("takes an edit, a broken config and a deletion within a second of the write", async () => {
    await writeRepoConfig(consul, prefix, url, { hook: { secret }, builder: "second" });
    await waitUntil("the edit", async () => ((await configs.get(url))?.builder === "second" ? true : undefined), { timeoutMs: 1_000, intervalMs: 10 });

    await consul.kv.set(consulKeys.repoConfig(prefix, url)[1], "{ not json");
    const broken = await waitUntil("the broken config", () => configs.get(url).then(() => undefined, (error: unknown) => error), { timeoutMs: 1_000, intervalMs: 10 });
    expect(broken).toBeInstanceOf(RepoConfigError);

    await consul.kv.del(consulKeys.repoConfig(prefix, url)[1]);
    await waitUntil("the deletion", async () => ((await configs.get(url).catch(() => "broken")) === undefined ? true : undefined), { timeoutMs: 1_000, intervalMs: 10 });
  });

  it("keeps the standard key ahead of the URL-safe one, as a direct read does", async () => {
    const both = "https://git.example.org/alice/both-keys.git";
    const [standard, urlSafe] = consulKeys.repoConfig(prefix, both);
    expect(standard).not.toBe(urlSafe);
    await consul.kv.set(urlSafe, JSON.stringify({ hook: { secret }, builder: "url-safe" }));
    expect(await fromMemory(both, "url-safe")).toBe(true);
    await consul.kv.set(standard, JSON.stringify({ hook: { secret }, builder: "standard" }));
    expect(await fromMemory(both, "standard")).toBe(true);
    // The URL-safe key written last still loses: once memory holds a config
    // written after it, memory holds it too (each answer is Consul's whole state).
    await consul.kv.set(urlSafe, JSON.stringify({ hook: { secret }, builder: "url-safe, rewritten" }));
    const later = "https://git.example.org/alice/written-later.git";
    await writeRepoConfig(consul, prefix, later, { hook: { secret }, builder: "later" });
    expect(await fromMemory(later, "later")).toBe(true);
    expect(await fromMemory(both, "standard")).toBe(true);
  });

  it("reads a clone URL of another scheme from Consul every time", async () => {
    const ssh = "git@git.example.org:alice/widget.git";
    await writeRepoConfig(consul, prefix, ssh, { hook: { secret }, builder: "over-ssh" });
    const before = consulReads();
    expect(await configs.get(ssh)).toMatchObject({ builder: "over-ssh" });
    expect(consulReads() - before).toBe(new Set(consulKeys.repoConfig(prefix, ssh)).size);
  });

  it("dispatches a hook with no Consul call for its config, and refuses one signed with a secret the config no longer has", async () => {
    const builder = await registerBuilder(nomad, { id: "configs-builder", unplaceable: true });
    const petrel: TestPetrel = await startPetrel({ CONSUL_HTTP_ADDR: agent.addr, PETREL_KV_PREFIX: prefix });
    try {
      const repo = "https://git.example.org/alice/hooked.git";
      await writeRepoConfig(consul, prefix, repo, { hook: { secret }, trusted: { senders: ["alice"] }, builder, autoCancel: false });
      // Both followers of this process (Petrel's and the file's) answered the write and asked again, so
      // nothing but the hook counts from here.
      await waitUntil("Petrel's configs from memory", async () => {
        const before = consulReads();
        await petrel.repoConfigs.get(repo);
        return consulReads() === before ? true : undefined;
      });
      await fromMemory(repo, builder, 1);
      const before = upstreamCalls();
      const [consulBefore, nomadBefore] = [{ ...before.consul }, { ...before.nomad }];
      const answer = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: repo, after: "c".repeat(40) }) });
      expect({ status: answer.status, created: (answer.json().builds as { created: boolean }[]).map((build) => build.created) }).toEqual({ status: 200, created: [true] });
      const after = upstreamCalls();
      expect({ consul: { read: after.consul.read - consulBefore.read, write: after.consul.write - consulBefore.write }, nomadWrites: after.nomad.write - nomadBefore.write }).toEqual({
        consul: { read: 0, write: 0 },
        nomadWrites: 1,
      });

      const rotated = "configs-rotated-eccbc87e4b5c";
      await writeRepoConfig(consul, prefix, repo, { hook: { secret: rotated }, trusted: { senders: ["alice"] }, builder, autoCancel: false });
      await waitUntil("the rotated secret", async () => ((await petrel.repoConfigs.get(repo))?.hook.secret === rotated ? true : undefined), { timeoutMs: 1_000, intervalMs: 10 });
      const stale = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: repo, after: "d".repeat(40) }) });
      expect(stale.status).toBe(401);
    } finally {
      await petrel.stop();
      await nomad.jobs.stop(builder);
    }
  });

  it("answers unavailable once Consul is gone, never the config it remembers", async () => {
    const kept = "https://git.example.org/alice/kept.git";
    await writeRepoConfig(consul, prefix, kept, { hook: { secret }, builder: "kept" });
    await fromMemory(kept, "kept", 1);
    await agent.stop();
    const error = await waitUntil("a get that fails", () => configs.get(kept).then(() => undefined, (failure: unknown) => failure), { timeoutMs: 5_000, intervalMs: 10 });
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
  });
});
