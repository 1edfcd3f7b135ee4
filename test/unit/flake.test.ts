import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const flake = fileURLToPath(new URL("../../flake.nix", import.meta.url));

describe("flake.nix", () => {
  it("parses as a Nix expression", () => {
    const parsed = execFileSync("nix-instantiate", ["--parse", flake], { encoding: "utf8" });
    expect(parsed).toContain("outputs");
  });

  it("names no placeholder hash for the npm dependencies", () => {
    expect(readFileSync(flake, "utf8")).not.toMatch(/fakeHash|npmDepsHash/);
  });
});

type LockEntry = { version?: string; resolved?: string; integrity?: string; link?: boolean; name?: string };
const lock = JSON.parse(readFileSync(fileURLToPath(new URL("../../package-lock.json", import.meta.url)), "utf8")) as { packages: Record<string, LockEntry> };

/** The registry address npm gives a package's tarball. */
function registryAddress(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${version}.tgz`;
}

/**
 * flake.nix builds with nixpkgs' importNpmLock, which fetches each package by
 * its lockfile entry's `resolved` address and `integrity` hash; an entry
 * without an address is not fetched, and the offline `npm ci` of the Nix
 * build fails on it.
 */
describe("package-lock.json as Nix's importNpmLock reads it", () => {
  const fetched = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.link !== true);

  it("has dependencies to fetch", () => {
    expect(fetched.length).toBeGreaterThan(100);
  });

  it("gives every dependency its registry address and a sha512 hash", () => {
    const wrong = fetched.filter(([path, entry]) => {
      const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
      return entry.resolved !== registryAddress(name, entry.version ?? "") || !/^sha512-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? "");
    });
    expect(wrong.map(([path]) => path)).toEqual([]);
  });
});
