import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

function petrel(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the petrel binary", () => {
  it("lists its subcommands, serve first", () => {
    const { status, stdout } = petrel(["--help"]);
    expect(status).toBe(0);
    const commands = [...stdout.split("Commands:")[1]!.matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]);
    expect(commands[0]).toBe("serve");
    expect([...commands].sort()).toEqual(["ca", "dut", "exec", "fetch", "gc", "help", "logs", "pdu", "serve", "status", "upload"]);
  });

  it("says its version, the package's", () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    for (const option of ["--version", "-V"]) expect(petrel([option])).toEqual({ status: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("refuses to upload untrusted builds' paths to the trusted cache", () => {
    // The same cache, spelt with a trailing slash and a store parameter.
    const { status, stderr } = petrel(["upload", "--once", "--to", "file:///srv/nix-cache", "--untrusted-to", "file:///srv/nix-cache/?compression=zstd", "--spool", "/dev/null/spool"]);
    expect({ status, stderr }).toEqual({ status: 78, stderr: "petrel upload: --untrusted-to names the trusted cache (--to): untrusted builds' paths must never land in it\n" });
  });

  it.each([
    ["file:///srv/nix-cache", "file:///srv/./nix-cache"],
    ["file:///srv/nix-cache", "file:///srv/other/../nix-cache"],
    ["file:///srv/nix-cache", "/srv/nix-cache"],
    ["s3://cache?endpoint=minio.lab:9000", "S3://cache/?region=eu"],
    ["https://cache.example.org/nix", "https://CACHE.example.org/nix/"],
  ])("refuses the trusted cache %s spelt another way: %s", (to, untrustedTo) => {
    const { status, stderr } = petrel(["upload", "--once", "--to", to, "--untrusted-to", untrustedTo, "--spool", "/dev/null/spool"]);
    expect({ status, stderr }).toEqual({ status: 78, stderr: "petrel upload: --untrusted-to names the trusted cache (--to): untrusted builds' paths must never land in it\n" });
  });

  it("refuses a folder reached through a symbolic link to the trusted cache", () => {
    const dir = mkdtempSync(join(tmpdir(), "petrel-stores-"));
    try {
      mkdirSync(join(dir, "cache"));
      symlinkSync(join(dir, "cache"), join(dir, "alias"));
      const { status } = petrel(["upload", "--once", "--to", `file://${dir}/cache`, "--untrusted-to", `file://${dir}/alias`, "--spool", "/dev/null/spool"]);
      expect(status).toBe(78);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 naming the option whose value is wrong", () => {
    const { status, stderr } = petrel(["gc", "--days", "0"]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^error: option '--days <n>' argument '0' is invalid\. expected a positive whole number\n/);
    const nice = petrel(["upload", "--once", "--to", "file:///srv/nix-cache", "--nice", "20"]);
    expect(nice.status).toBe(2);
    expect(nice.stderr).toMatch(/^error: option '--nice <n>' argument '20' is invalid\. expected a niceness from 0 to 19\n/);
  });

  it("exits 2 naming the variable when the configuration is invalid", () => {
    const { status, stderr } = petrel(["serve"], { NOMAD_ADDR: "not a url", NOMAD_TOKEN: "tok-s3cret" });
    expect(status).toBe(2);
    expect(stderr).toMatch(/^petrel: invalid configuration: NOMAD_ADDR: expected an http:\/\/ or https:\/\/ URL/);
    expect(stderr).not.toContain("tok-s3cret");
  });

  it("names the flag when a flag is what is wrong", () => {
    const { status, stderr } = petrel(["serve", "--listen", "nowhere"]);
    expect(status).toBe(2);
    expect(stderr).toContain("invalid configuration: --listen (PETREL_LISTEN): expected host:port");
  });
});
