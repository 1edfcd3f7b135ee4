import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config.js";
import { createConsul } from "../../src/consul/client.js";
import { consulKeys } from "../../src/consul/keys.js";
import { readRepoConfig, writeRepoConfig } from "../../src/consul/repo-config.js";
import { createLatestBuilds } from "../../src/dispatch/latest-builds.js";
import { createDispatcher } from "../../src/tls-agent.js";
import { upstreamCalls } from "../../src/upstream-calls.js";
import { UpstreamError, UpstreamUnavailableError } from "../../src/upstream-error.js";
import { startConsul, type RunningConsul } from "../cluster/consul.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { createTestPki, type TestPki } from "../support/pki.js";

let run: RunDir;
let pki: TestPki;
let consul: RunningConsul;

beforeAll(async () => {
  run = createRunDir("petrel-consul-tls-");
  pki = createTestPki(run.sub("pki"));
  consul = await startConsul(run, { secure: pki });
});
afterAll(async () => {
  await consul?.stop();
  expect(await run.remove()).toEqual([]);
});

/** Petrel's Consul client, configured only through the Consul CLI's variables (host:port + CONSUL_HTTP_SSL). */
function clientFrom(env: Record<string, string>) {
  const config = readConfig({ CONSUL_HTTP_ADDR: consul.addr.replace("https://", ""), CONSUL_HTTP_SSL: "true", ...env });
  return { consul: createConsul(config.consul), prefix: config.kvPrefix };
}

const tlsEnv = () => ({ CONSUL_CACERT: pki.ca, CONSUL_CLIENT_CERT: pki.client.cert, CONSUL_CLIENT_KEY: pki.client.key });
const cloneUrl = "https://git.example.org/team/widget.git";

describe("the Consul client against a Consul with mTLS and default-deny ACLs", () => {
  it("writes and reads a repo config with CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY and CONSUL_HTTP_TOKEN", async () => {
    const { consul: client, prefix } = clientFrom({ ...tlsEnv(), CONSUL_HTTP_TOKEN: consul.token! });
    const repoConfig = { hook: { token: "hook-token" }, trusted: { senders: ["alice"] } };
    await writeRepoConfig(client, prefix, cloneUrl, repoConfig);
    expect(await readRepoConfig(client, prefix, cloneUrl)).toEqual({ ...repoConfig, builder: "builder", autoCancel: true });
  });

  it("is refused (403) without the token, and the refusal doesn't carry a token", async () => {
    const { consul: client, prefix } = clientFrom(tlsEnv());
    const error = await readRepoConfig(client, prefix, cloneUrl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(403);
    expect((error as Error).message).not.toContain(consul.token);
  });

  it("can't connect without a client certificate", async () => {
    const { consul: client, prefix } = clientFrom({ CONSUL_CACERT: pki.ca, CONSUL_HTTP_TOKEN: consul.token! });
    const error = await readRepoConfig(client, prefix, cloneUrl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).not.toContain(consul.token);
  });

  it("swaps a branch's latest build in a transaction with the same certificates and token, and not without them", async () => {
    const key = consulKeys.latest("petrel", "a".repeat(64));
    const swapLatest = createLatestBuilds(clientFrom({ ...tlsEnv(), CONSUL_HTTP_TOKEN: consul.token! }).consul);
    expect(await swapLatest(key, build(1))).toBeUndefined();
    expect(await swapLatest(key, build(2))).toEqual(build(1));

    const refused = await createLatestBuilds(clientFrom(tlsEnv()).consul)(key, build(3)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpstreamError);
    const unconnected = await createLatestBuilds(clientFrom({ CONSUL_CACERT: pki.ca, CONSUL_HTTP_TOKEN: consul.token! }).consul)(key, build(4)).catch((e: unknown) => e);
    expect(unconnected).toBeInstanceOf(UpstreamUnavailableError);
    for (const error of [refused, unconnected]) expect((error as Error).message).not.toContain(consul.token);
  });

  it("gives up a swap its token may not write, instead of reading the key and trying again and again", async () => {
    const key = consulKeys.latest("petrel", "b".repeat(64));
    const token = await tokenWith('key_prefix "" { policy = "read" }');
    const swapLatest = createLatestBuilds(clientFrom({ ...tlsEnv(), CONSUL_HTTP_TOKEN: token }).consul);
    const before = structuredClone(upstreamCalls().consul);
    const error = await Promise.race([swapLatest(key, build(1)).catch((e: unknown) => e), new Promise((resolve) => setTimeout(() => resolve("still swapping after 5 s"), 5_000))]);
    const after = upstreamCalls().consul;
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/[Pp]ermission denied/);
    expect((error as Error).message).not.toContain(token);
    expect({ read: after.read - before.read, write: after.write - before.write }).toEqual({ read: 1, write: 1 });
  });
});

const build = (n: number) => ({ job: `builder/dispatch-${n}`, commit: String(n).repeat(40) });

/** A new ACL token of one policy made of `rules`, made with the management token. */
async function tokenWith(rules: string): Promise<string> {
  const config = readConfig({ CONSUL_HTTP_ADDR: consul.addr, ...tlsEnv(), CONSUL_HTTP_TOKEN: consul.token! }).consul;
  const dispatcher = createDispatcher(config.addr, config.tls);
  const put = async (path: string, body: object) => {
    const response = await request(`${config.addr}${path}`, { method: "PUT", headers: { "x-consul-token": consul.token! }, body: JSON.stringify(body), dispatcher });
    if (response.statusCode !== 200) throw new Error(`${path} answered ${response.statusCode}: ${await response.body.text()}`);
    return (await response.body.json()) as { SecretID: string };
  };
  const name = `policy-${Date.now()}`;
  await put("/v1/acl/policy", { Name: name, Rules: rules });
  return (await put("/v1/acl/token", { Policies: [{ Name: name }] })).SecretID;
}
