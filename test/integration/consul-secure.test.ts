import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config.js";
import { createConsul } from "../../src/consul/client.js";
import { readRepoConfig, writeRepoConfig } from "../../src/consul/repo-config.js";
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
});
