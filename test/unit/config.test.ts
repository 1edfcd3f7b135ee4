import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../src/config.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configError(env: Record<string, string>): ConfigError {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("readConfig accepted the environment");
}

describe("readConfig", () => {
  it("has working defaults for a local Nomad and Consul", () => {
    const config = readConfig({});
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(config.publicUrl).toBe("http://127.0.0.1:8080");
    expect(config.kvPrefix).toBe("petrel");
    expect(config.maxLogStreams).toBe(8);
    expect(config.nomad).toEqual({ addr: "http://127.0.0.1:4646", tls: { skipVerify: false } });
    expect(config.consul).toEqual({ addr: "http://127.0.0.1:8500", tls: { skipVerify: false } });
  });

  it("reads the Nomad and Consul CLIs' own variables", () => {
    const config = readConfig({
      NOMAD_ADDR: "https://nomad.example.org:4646/",
      NOMAD_TOKEN: "nomad-secret",
      NOMAD_NAMESPACE: "ci",
      NOMAD_REGION: "eu",
      NOMAD_TLS_SERVER_NAME: "server.global.nomad",
      NOMAD_SKIP_VERIFY: "true",
      CONSUL_HTTP_ADDR: "consul.example.org:8501",
      CONSUL_HTTP_SSL: "1",
      CONSUL_HTTP_TOKEN: "consul-secret",
      PETREL_LISTEN: "[::1]:9000",
      PETREL_URL: "https://ci.example.org",
      PETREL_KV_PREFIX: "albatros",
    });
    expect(config.nomad).toEqual({
      addr: "https://nomad.example.org:4646",
      token: "nomad-secret",
      namespace: "ci",
      region: "eu",
      tls: { serverName: "server.global.nomad", skipVerify: true },
    });
    expect(config.consul.addr).toBe("https://consul.example.org:8501");
    expect(config.consul.token).toBe("consul-secret");
    expect(config.listen).toEqual({ host: "::1", port: 9000 });
    expect(config.publicUrl).toBe("https://ci.example.org");
    expect(config.kvPrefix).toBe("albatros");
  });

  it("reads TLS material from the files the variables name", () => {
    for (const name of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(dir, name), `-----${name}-----\n`);
    const config = readConfig({
      NOMAD_CACERT: join(dir, "ca.pem"),
      NOMAD_CLIENT_CERT: join(dir, "cert.pem"),
      NOMAD_CLIENT_KEY: join(dir, "key.pem"),
      CONSUL_CACERT: join(dir, "ca.pem"),
    });
    expect(config.nomad.tls).toEqual({ ca: "-----ca.pem-----\n", cert: "-----cert.pem-----\n", key: "-----key.pem-----\n", skipVerify: false });
    expect(config.consul.tls.ca).toBe("-----ca.pem-----\n");
  });

  it("is frozen all the way down", () => {
    const config = readConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nomad.tls)).toBe(true);
  });

  it.each([
    [{ PETREL_LISTEN: "8080" }, "PETREL_LISTEN", "expected host:port"],
    [{ PETREL_LISTEN: "0.0.0.0:70000" }, "PETREL_LISTEN", "out of range"],
    [{ PETREL_URL: "ftp://x" }, "PETREL_URL", "http"],
    [{ PETREL_KV_PREFIX: "/leading" }, "PETREL_KV_PREFIX", "Consul key path"],
    [{ PETREL_LOG_LEVEL: "loud" }, "PETREL_LOG_LEVEL", "expected one of"],
    [{ PETREL_API_TOKEN: "short" }, "PETREL_API_TOKEN", "at least 16"],
    [{ PETREL_MAX_LOG_STREAMS: "15" }, "PETREL_MAX_LOG_STREAMS", "at most 14"],
    [{ PETREL_MAX_LOG_STREAMS: "many" }, "PETREL_MAX_LOG_STREAMS", "whole number"],
    [{ PETREL_SWEEP_INTERVAL: "0" }, "PETREL_SWEEP_INTERVAL", "at least 1 second"],
    [{ PETREL_LOG_IDLE: "soon" }, "PETREL_LOG_IDLE", "whole seconds"],
    [{ NOMAD_ADDR: "nomad:4646" }, "NOMAD_ADDR", "http"],
    [{ NOMAD_SKIP_VERIFY: "maybe" }, "NOMAD_SKIP_VERIFY", "true or false"],
    [{ CONSUL_HTTP_ADDR: "http://" }, "CONSUL_HTTP_ADDR", "URL"],
    [{ NOMAD_CACERT: "/nonexistent/ca.pem" }, "NOMAD_CACERT", "cannot read '/nonexistent/ca.pem'"],
  ])("rejects %j naming the variable", (env, variable, problem) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: `));
    expect(error.message).toContain(problem);
  });

  it("stops at a partial set of the listener's TLS files, naming what is missing", () => {
    for (const name of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(dir, name), `-----${name}-----\n`);
    const [ca, cert, key] = ["ca.pem", "cert.pem", "key.pem"].map((name) => join(dir, name));
    const on = { PETREL_TLS: "true" };
    expect(configError({ ...on, PETREL_TLS_CA: ca! }).variable).toBe("PETREL_TLS_CERT");
    expect(configError({ ...on, PETREL_TLS_CA: ca!, PETREL_TLS_CERT: cert! }).variable).toBe("PETREL_TLS_KEY");
    expect(configError({ ...on, PETREL_TLS_CERT: cert!, PETREL_TLS_KEY: key! }).variable).toBe("PETREL_TLS_CA");
    expect(configError({ PETREL_TLS_CA: ca! }).message).toBe("PETREL_TLS: is off, yet PETREL_TLS_CA is set: set PETREL_TLS=true to serve HTTPS with them");
    expect(readConfig({ ...on, PETREL_TLS_CA: ca!, PETREL_TLS_CERT: cert!, PETREL_TLS_KEY: key! }).tls).toMatchObject({ ca: "-----ca.pem-----\n", cert: "-----cert.pem-----\n" });
  });

  it("wants a client certificate and key together", () => {
    writeFileSync(join(dir, "cert.pem"), "cert");
    expect(configError({ NOMAD_CLIENT_CERT: join(dir, "cert.pem") }).variable).toBe("NOMAD_CLIENT_KEY");
  });

  it("never repeats a token in an error", () => {
    const error = configError({ NOMAD_TOKEN: "s3cr3t-token", NOMAD_ADDR: "bad" });
    expect(error.message).not.toContain("s3cr3t-token");
    expect(configError({ PETREL_API_TOKEN: "tooshort" }).message).not.toContain("tooshort");
  });

  it("archives to nothing unless PETREL_ARCHIVE names a folder or a bucket", () => {
    expect(readConfig({}).archive).toBeUndefined();
    expect(readConfig({ PETREL_ARCHIVE: "file:///var/lib/petrel/archive/" }).archive).toEqual({
      store: { kind: "folder", path: "/var/lib/petrel/archive", retentionDays: 90 },
      maxLogBytes: 64 * 2 ** 20,
    });
    expect(readConfig({ PETREL_ARCHIVE: "file:///srv/ci%20history", PETREL_ARCHIVE_DAYS: "30", PETREL_ARCHIVE_MAX_LOG: "512k" }).archive).toEqual({
      store: { kind: "folder", path: "/srv/ci history", retentionDays: 30 },
      maxLogBytes: 512 * 1024,
    });
    expect(readConfig({ PETREL_ARCHIVE: "s3://ci-history", PETREL_ARCHIVE_MAX_LOG: "8M" }).archive).toEqual({
      store: { kind: "s3", bucket: "ci-history", prefix: "", region: "us-east-1" },
      maxLogBytes: 8 * 2 ** 20,
    });
  });

  it("takes an S3 archive's endpoint and region from the AWS variables, the service's own first", () => {
    const env = { PETREL_ARCHIVE: "s3://ci-history/petrel/builds/", AWS_ENDPOINT_URL: "https://s3.example.org", AWS_ENDPOINT_URL_S3: "http://garage.lab:3900", AWS_DEFAULT_REGION: "garage" };
    expect(readConfig(env).archive?.store).toEqual({ kind: "s3", bucket: "ci-history", prefix: "petrel/builds/", endpoint: "http://garage.lab:3900", region: "garage" });
    expect(readConfig({ ...env, AWS_ENDPOINT_URL_S3: "", AWS_REGION: "eu-west-1" }).archive?.store).toMatchObject({ endpoint: "https://s3.example.org", region: "eu-west-1" });
    expect(readConfig({ ...env, AWS_ACCESS_KEY_ID: "GK31c2f", AWS_SECRET_ACCESS_KEY: "b892c5" }).archive?.store).toMatchObject({ credentials: { accessKeyId: "GK31c2f", secretAccessKey: "b892c5" } });
    const half = configError({ ...env, AWS_SECRET_ACCESS_KEY: "s3cr3t-half" });
    expect(half.message).toBe("AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together");
  });

  it("refuses an archive it can't use, and archive settings without an archive", () => {
    expect(configError({ PETREL_ARCHIVE: "/var/lib/petrel" }).message).toMatch(/^PETREL_ARCHIVE: expected file:\/\/\/<folder> or s3:\/\/<bucket>/);
    expect(configError({ PETREL_ARCHIVE: "s3://Bad_Bucket" }).variable).toBe("PETREL_ARCHIVE");
    expect(configError({ PETREL_ARCHIVE: "file:///a", PETREL_ARCHIVE_MAX_LOG: "lots" }).message).toMatch(/^PETREL_ARCHIVE_MAX_LOG: expected a size/);
    expect(configError({ PETREL_ARCHIVE: "file:///a", PETREL_ARCHIVE_MAX_LOG: "12" }).message).toMatch(/^PETREL_ARCHIVE_MAX_LOG: expected at least 1K/);
    expect(configError({ PETREL_ARCHIVE: "file:///a", PETREL_ARCHIVE_DAYS: "0" }).variable).toBe("PETREL_ARCHIVE_DAYS");
    expect(configError({ PETREL_ARCHIVE_DAYS: "30" }).message).toBe("PETREL_ARCHIVE_DAYS: is set, yet PETREL_ARCHIVE is not: set it to archive builds");
    expect(configError({ PETREL_ARCHIVE: "s3://ci-history", PETREL_ARCHIVE_DAYS: "30" }).message).toMatch(/^PETREL_ARCHIVE_DAYS: applies to a folder archive: give the bucket a lifecycle rule/);
  });
});
