import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consulKeys } from "../../src/consul/keys.js";
import { parseRepoConfig, RepoConfigError } from "../../src/consul/repo-config.js";

describe("repo config keys", () => {
  it("are Albatros' standard base64 of the clone URL, then its URL-safe form", () => {
    // Chosen so the standard encoding holds a '/', which Consul reads as a folder.
    const url = "https://git.example.org/team/wid?t.git";
    const [standard, urlSafe] = consulKeys.repoConfig("albatros", url);
    expect(standard).toBe(`albatros/${Buffer.from(url).toString("base64")}`);
    expect(standard.slice("albatros/".length)).toContain("/");
    expect(urlSafe).toBe(`albatros/${Buffer.from(url).toString("base64url")}`);
    expect(urlSafe.slice("albatros/".length)).not.toMatch(/[/+=]/);
  });
});

describe("parseRepoConfig", () => {
  it("accepts the example config and keeps keys it doesn't know", () => {
    const text = readFileSync(new URL("../../example/repo-config.json", import.meta.url), "utf8");
    const withExtra = JSON.stringify({ ...JSON.parse(text), owner: { team: "infra" } });
    const config = parseRepoConfig("k", withExtra);
    expect(config.hook.token).toBe("change-me-to-a-long-random-string");
    expect(config.trusted?.senders).toEqual(["alice", "bob"]);
    expect(config).toHaveProperty("owner.team", "infra");
  });

  it.each([
    ["not json", "not JSON"],
    ["{}", "hook"],
    ['{"hook":{}}', "hook: needs a token or a secret"],
    ['{"hook":{"secret":"s"},"builders":{"arm64":"no spaces"}}', "builders.arm64: expected a Nomad job id"],
    ['{"hook":{"secret":"s"},"flavors":{"push":[]}}', "flavors.push: expected at least one flavor"],
    ['{"hook":{"secret":"s"},"autoCancel":"yes"}', "autoCancel"],
    ['{"hook":{"token":""}}', "hook.token must not be empty"],
    ['{"hook":{"token":"t"},"gitea":{"url":"nope","token":"x"}}', "gitea.url"],
    ['{"hook":{"token":"t"},"trusted":{"senders":"alice"}}', "trusted.senders"],
  ])("rejects %s, saying what is wrong", (text, problem) => {
    expect(() => parseRepoConfig("petrel/abc", text)).toThrow(RepoConfigError);
    expect(() => parseRepoConfig("petrel/abc", text)).toThrow(problem);
  });

  it("does not echo secrets from a bad config", () => {
    const text = '{"hook":{"token":"hook-s3cret"},"gitea":{"url":"nope","token":"gitea-s3cret"}}';
    expect(() => parseRepoConfig("k", text)).toThrow(/^(?!.*s3cret).*$/s);
  });
});
