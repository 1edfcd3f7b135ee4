import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { consulCall } from "../../src/consul/client.js";
import { initCa, issueFromCa } from "../../src/pki/ca-dir.js";
import { createRootCa, fingerprint, issueCertificate } from "../../src/pki/certificates.js";
import { spawnPetrelServe, type PetrelServe } from "../cluster/petrel-serve.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { clusterClients } from "../support/clients.js";

/** `petrel serve` with TLS from its own generated CA, and gateways known by their client certificates. */
const { consul } = clusterClients();
const secretArgs = "b2c.minio=gw,https://s3.example.org,AKIA-boot-secret-8f14e45f b2c.volume=cache";
let run: RunDir;
let petrel: PetrelServe;
let base: string;
let tlsDir: string;
let ca: string;
type Client = { cert: string; key: string };
let gatewayA: Client;
let gatewayB: Client;
let unknown: Client;

function get(path: string, client?: Client): Promise<{ status: number; body: string }> {
  return getFrom(base, ca, path, client);
}

/** A GET over HTTPS that trusts `trusted` only, with a client certificate when given. */
function getFrom(origin: string, trusted: string, path: string, client?: Client): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { ca: trusted, ...(client ?? {}) }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function configure(client: Client, config: Record<string, unknown>) {
  const key = `petrel-test/gateways/${fingerprint(client.cert)}`;
  await consulCall("put", () => consul.kv.set(key, JSON.stringify(config)));
}

const clientFrom = (name: string): Client => {
  const [cert, key] = issueFromCa(tlsDir, { kind: "client", name }, `client-${name}`);
  return { cert: readFileSync(cert!, "utf8"), key: readFileSync(key!, "utf8") };
};

beforeAll(async () => {
  run = createRunDir("petrel-boot-");
  tlsDir = join(run.path, "tls");
  const cluster = inject("cluster");
  petrel = await spawnPetrelServe({
    nomadAddr: cluster.nomadAddr,
    consulAddr: cluster.consulAddr,
    logDir: run.path,
    env: { PATH: process.env.PATH, PETREL_KV_PREFIX: "petrel-test", PETREL_BOOT_SECRETS_TTL: "5" },
    tlsDir,
  });
  base = petrel.url;
  ca = petrel.ca!;
  [gatewayA, gatewayB, unknown] = [clientFrom("gateway-a"), clientFrom("gateway-b"), clientFrom("gateway-unknown")];
  await configure(gatewayA, { name: "gateway-a", kernel: "https://boot.example.org/vmlinuz", initrd: "https://boot.example.org/initrd", args: "b2c.container=docker://ci-runner", secretArgs, files: { "config.toml": "runner = 'a'\n" } });
  await configure(gatewayB, { name: "gateway-b", kernel: "https://boot.example.org/vmlinuz", secretArgs: "b-only" });
});
afterAll(async () => {
  await petrel?.stop();
  await run?.remove();
});

const secretsUrlOf = (script: string) => /^set secrets_url (\S+)$/m.exec(script)![1]!;

describe("the boot server over Petrel's own TLS", () => {
  it("serves its CA, and a verified server certificate", async () => {
    const answer = await get("/ca.pem");
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(ca);
  });

  it("gives a known gateway its iPXE script with a one-time secrets URL that works once", async () => {
    const script = await get("/boot.ipxe", gatewayA);
    expect(script.status).toBe(200);
    expect(script.body).toMatch(/^#!ipxe\nset secrets_url https:\/\/127\.0\.0\.1:\d+\/secrets\/boot\/\S+\nset kernel https:\/\/boot\.example\.org\/vmlinuz\n/);
    expect(script.body).toContain("kernel ${kernel} ${args} secrets_url=${secrets_url}");
    expect(script.body).not.toContain("AKIA");
    const path = new URL(secretsUrlOf(script.body)).pathname;
    const first = await get(path);
    expect([first.status, first.body]).toEqual([200, secretArgs]);
    expect((await get(path)).status).toBe(410);
  });

  it("refuses tampered and expired secrets URLs", async () => {
    const path = new URL(secretsUrlOf((await get("/boot.ipxe", gatewayA)).body)).pathname;
    expect((await get(`${path.slice(0, -3)}xyz`)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const expired = await get(path);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain("expired");
  });

  it("answers 403 without a certificate, or for one no gateway is configured with", async () => {
    for (const client of [undefined, unknown]) {
      const answer = await get("/boot.ipxe", client);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toHaveProperty("error");
    }
  });

  it("drops a connection that presents a certificate from another CA", async () => {
    const stranger = issueCertificate(createRootCa("Stranger CA"), { kind: "client", name: "gateway-a" });
    await expect(get("/boot.ipxe", stranger)).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
  });

  it("names in the default script only what the gateway's config has: no initrd line without an initrd", async () => {
    const script = (await get("/boot.ipxe", gatewayB)).body;
    expect(script).not.toMatch(/initrd/);
    expect(script).toMatch(/\nkernel \$\{kernel\} \$\{args\} secrets_url=\$\{secrets_url\}\nboot\n$/);
    expect((await get("/boot.ipxe", gatewayA)).body).toMatch(/\nset initrd https:\/\/boot\.example\.org\/initrd\n[\s\S]*\ninitrd \$\{initrd\}\nboot\n$/);
  });

  it("serves a gateway's files to that gateway only, and no file named like an inherited property", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) expect((await get(`/files/${name}`, gatewayA)).status, name).toBe(404);
    expect(await get("/files/config.toml", gatewayA)).toEqual({ status: 200, body: "runner = 'a'\n" });
    expect((await get("/files/config.toml", gatewayB)).status).toBe(404);
    expect((await get("/files/config.toml")).status).toBe(403);
  });

  it("works for curl with a client certificate, and for iPXE's TLS 1.2 AES-CBC cipher", async () => {
    const [cert, key] = [join(tlsDir, "client-gateway-b.pem"), join(tlsDir, "client-gateway-b-key.pem")];
    const { stdout } = await promisify(execFile)("curl", ["-sS", "--cacert", join(tlsDir, "ca.pem"), "--cert", cert, "--key", key, `${base}/boot.ipxe`]);
    expect(stdout).toMatch(/^#!ipxe\nset secrets_url /);
    const handshake = spawnSync("openssl", ["s_client", "-connect", base.replace("https://", ""), "-tls1_2", "-cipher", "AES128-SHA256", "-CAfile", join(tlsDir, "ca.pem")], { input: "", encoding: "utf8", timeout: 20_000 });
    expect(handshake.stdout).toMatch(/Cipher\s+(is|:)\s*AES128-SHA256/);
    expect(handshake.stdout).toContain("Verify return code: 0 (ok)");
  });

  it("never writes a boot secret or a one-time token in its log", () => {
    const log = readFileSync(petrel.daemon.logFile!, "utf8");
    expect(log).toContain("boot script served");
    expect(log).not.toContain("AKIA-boot-secret");
    expect(log).not.toMatch(/\/secrets\/boot\/(?!\[redacted\])/);
  });
});

describe("Petrel's own certificate from a folder made with 'petrel ca init --intermediate'", () => {
  let own: PetrelServe;
  let dir: string;
  beforeAll(async () => {
    const cluster = inject("cluster");
    dir = join(run.path, "intermediate-dir");
    initCa(dir, { name: "Folder CA", intermediate: true });
    own = await spawnPetrelServe({ nomadAddr: cluster.nomadAddr, consulAddr: cluster.consulAddr, logDir: run.path, env: { PATH: process.env.PATH, PETREL_KV_PREFIX: "petrel-test" }, tlsDir: dir });
  });
  afterAll(() => own?.stop());

  it("serves its certificate with the intermediate, verified by the folder's ca.pem and by its own /ca.pem", async () => {
    const root = readFileSync(join(dir, "ca.pem"), "utf8");
    const served = await getFrom(own.url, root, "/ca.pem");
    expect(served).toEqual({ status: 200, body: root });
    expect((await getFrom(own.url, served.body, "/healthz")).status).toBe(200);
  });
});

describe("the boot server with an operator's PKI whose intermediate CA signs", () => {
  let operator: PetrelServe;
  let operatorCa: string;
  beforeAll(async () => {
    const cluster = inject("cluster");
    const dir = join(run.path, "operator-pki");
    initCa(dir, { name: "Lab CA", intermediate: true });
    const [, serverKey, serverChain] = issueFromCa(dir, { kind: "server", names: ["127.0.0.1"] }, "server");
    operatorCa = readFileSync(join(dir, "ca.pem"), "utf8");
    const env = { PATH: process.env.PATH, PETREL_KV_PREFIX: "petrel-test", PETREL_TLS_CERT: serverChain, PETREL_TLS_KEY: serverKey, PETREL_TLS_CA: join(dir, "ca.pem") };
    operator = await spawnPetrelServe({ nomadAddr: cluster.nomadAddr, consulAddr: cluster.consulAddr, logDir: run.path, env, tlsDir: dir });
  });
  afterAll(() => operator?.stop());

  it("is verified by the root alone, and knows a gateway that sends its certificate with the intermediate", async () => {
    const dir = join(run.path, "operator-pki");
    const [cert, key, chain] = issueFromCa(dir, { kind: "client", name: "gateway-lab" }, "client-gateway-lab");
    const gateway = { cert: readFileSync(chain!, "utf8"), key: readFileSync(key!, "utf8") };
    await configure({ cert: readFileSync(cert!, "utf8"), key: gateway.key }, { name: "gateway-lab", kernel: "https://boot.example.org/vmlinuz", secretArgs: "lab-only" });
    const answer = await getFrom(operator.url, operatorCa, "/boot.ipxe", gateway);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^#!ipxe\nset secrets_url https:\/\/127\.0\.0\.1:\d+\/secrets\/boot\/\S+\n/);
    // Without the intermediate, Petrel cannot tie the certificate to its root: no TLS at all.
    await expect(getFrom(operator.url, operatorCa, "/boot.ipxe", { cert: readFileSync(cert!, "utf8"), key: gateway.key })).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
  });
});
