import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createRootCa, fingerprint, issueCertificate } from "../../src/pki/certificates.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-pki-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const root = createRootCa("Test CA");
const other = createRootCa("Another CA");

describe("the embedded CA", () => {
  it("issues RSA 2048 server certificates that openssl verifies, with DNS and IP names", () => {
    const server = issueCertificate(root, { kind: "server", names: ["ci.example.org", "127.0.0.1"] });
    const [ca, cert] = [file("ca.pem", root.cert), file("server.pem", server.cert)];
    expect(openssl("verify", "-CAfile", ca, cert).trim()).toBe(`${cert}: OK`);
    const text = openssl("x509", "-in", cert, "-noout", "-text");
    expect(text).toContain("Public-Key: (2048 bit)");
    expect(text).toMatch(/DNS:ci\.example\.org, IP Address:127\.0\.0\.1/);
    expect(text).toContain("TLS Web Server Authentication");
    expect(() => openssl("verify", "-CAfile", file("other.pem", other.cert), cert)).toThrow();
  });

  it("signs through an intermediate", () => {
    const intermediate = { name: "i", ...issueCertificate(root, { kind: "intermediate", name: "Test intermediate" }) };
    const client = issueCertificate(intermediate, { kind: "client", name: "gateway-7" });
    const out = openssl("verify", "-CAfile", file("root.pem", root.cert), "-untrusted", file("inter.pem", intermediate.cert), file("client.pem", client.cert));
    expect(out.trim()).toMatch(/: OK$/);
  });

  it("computes the SHA-256 fingerprint openssl computes", () => {
    const client = issueCertificate(root, { kind: "client", name: "gateway-1" });
    const fromOpenssl = openssl("x509", "-in", file("fp.pem", client.cert), "-noout", "-fingerprint", "-sha256").split("=")[1]!.trim().replaceAll(":", "").toLowerCase();
    expect(fingerprint(client.cert)).toBe(fromOpenssl);
  });

  it("authenticates clients over real TLS: its own client certificates, not another CA's", async () => {
    const server = issueCertificate(root, { kind: "server", names: ["localhost", "127.0.0.1"] });
    const https = createServer({ cert: server.cert, key: server.key, ca: root.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as TLSSocket;
      res.end(socket.authorized ? `hello ${String(socket.getPeerCertificate().subject.CN)}` : "unauthorized");
    });
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    const get = (client: { cert: string; key: string }) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: (https.address() as AddressInfo).port, ca: root.cert, cert: client.cert, key: client.key }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve(body));
        });
        req.on("error", reject);
        req.end();
      });
    try {
      expect(await get(issueCertificate(root, { kind: "client", name: "gateway-2" }))).toBe("hello gateway-2");
      expect(await get(issueCertificate(other, { kind: "client", name: "intruder" }))).toBe("unauthorized");
    } finally {
      https.close();
    }
  });
});

// Each case starts the CLI as its own process.
describe("petrel ca", { timeout: 60_000 }, () => {
  const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
  const petrel = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", cli, "ca", ...args], { encoding: "utf8", timeout: 60_000 });

  it("makes a CA with an intermediate and issues server and client certificates, keys 0600", () => {
    const ca = join(dir, "cli-ca");
    expect(petrel("init", "--dir", ca, "--intermediate").status).toBe(0);
    const server = petrel("issue", "--dir", ca, "--server", "ci.example.org", "10.0.0.5");
    expect(server.status).toBe(0);
    expect(server.stdout).toContain("server-ci.example.org.pem  sha256 ");
    const client = petrel("issue", "--dir", ca, "--client", "gateway-3");
    expect(client.status).toBe(0);
    for (const key of ["ca-key.pem", "intermediate-key.pem", "server-ci.example.org-key.pem", "client-gateway-3-key.pem"]) {
      expect(statSync(join(ca, key)).mode & 0o777).toBe(0o600);
    }
    const chain = join(ca, "server-ci.example.org-chain.pem");
    expect(openssl("verify", "-CAfile", join(ca, "ca.pem"), "-untrusted", join(ca, "intermediate.pem"), join(ca, "client-gateway-3.pem")).trim()).toMatch(/: OK$/);
    expect(readFileSync(chain, "utf8").match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it.each([
    [["init", "--dir", "{ca}"], "already holds a CA"],
    [["issue", "--dir", "{none}", "--client", "x"], "holds no CA"],
    [["issue", "--dir", "{ca}"], "either --server"],
    [["issue", "--dir", "{ca}", "--server", "not a name"], "neither a DNS name nor an IP"],
    [["issue", "--dir", "{ca}", "--client", "bad/name"], "--client"],
  ])("refuses %j with a message and exit 1", (args, message) => {
    const ca = join(dir, "refusals-ca");
    if (!existsSync(join(ca, "ca.pem"))) petrel("init", "--dir", ca);
    const result = petrel(...args.map((arg) => arg.replace("{ca}", ca).replace("{none}", join(dir, "nothing"))));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
