import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { recogniseHook } from "../../src/forge/forges.js";
import type { BuildRequest } from "../../src/forge/build-request.js";
import { decideTrust } from "../../src/trust.js";

const push: BuildRequest = {
  forge: "gitea",
  event: "push",
  cloneUrl: "https://git.example.org/team/widget.git",
  commit: "a".repeat(40),
  branch: "main",
  sender: "alice",
  forgeUrl: "https://git.example.org",
  forgeRepo: "team/widget",
};
const pullRequest = (fromFork: boolean | undefined, author: string | undefined, sender = author ?? "alice"): BuildRequest => ({
  ...push,
  event: "pull_request",
  branch: "refs/pull/7/head",
  sender,
  pullRequest: { number: 7, fromFork, author, targetBranch: "main" },
});

describe("decideTrust", () => {
  const rules = { senders: ["alice"] };

  it("trusts a trusted sender's push, and says so", () => {
    expect(decideTrust(push, rules)).toEqual({ trusted: true, reason: "pushed by trusted alice" });
  });

  it("does not trust anyone else, or anyone without rules", () => {
    expect(decideTrust({ ...push, sender: "mallory" }, rules)).toEqual({ trusted: false, reason: "sender mallory is not a trusted sender" });
    expect(decideTrust(push, undefined).trusted).toBe(false);
  });

  it("trusts a fork's pull request only when its author is trusted", () => {
    expect(decideTrust(pullRequest(true, "mallory"), rules)).toEqual({
      trusted: false,
      reason: "pull request #7 comes from a fork and its author mallory is not a trusted sender",
    });
    expect(decideTrust(pullRequest(true, "alice"), rules)).toEqual({ trusted: true, reason: "pull request #7 by trusted alice" });
  });

  it("does not trust a trusted author's fork when someone untrusted triggered the build", () => {
    expect(decideTrust(pullRequest(true, "alice", "mallory"), rules).trusted).toBe(false);
  });

  it("treats a pull request whose head it can't place as a fork", () => {
    expect(decideTrust(pullRequest(undefined, "mallory", "alice"), rules).trusted).toBe(false);
    expect(decideTrust(pullRequest(undefined, "mallory", "alice"), rules).reason).toContain("doesn't name");
    expect(decideTrust(pullRequest(undefined, undefined, "alice"), rules).reason).toContain("(unknown)");
  });

  it("trusts a same-repository pull request only when its author is trusted too, whoever reopened or synchronised it", () => {
    // Anyone who can read a repository can open a same-repository pull request (Gitea's AGit flow).
    expect(decideTrust(pullRequest(false, "bob", "alice"), rules)).toEqual({
      trusted: false,
      reason: "pull request #7 comes from this repository and its author bob is not a trusted sender",
    });
    expect(decideTrust(pullRequest(false, undefined, "alice"), rules).trusted).toBe(false);
    expect(decideTrust(pullRequest(false, "alice", "mallory"), rules)).toEqual({ trusted: false, reason: "sender mallory is not a trusted sender" });
    expect(decideTrust(pullRequest(false, "alice", "carol"), { senders: ["alice", "carol"] })).toEqual({ trusted: true, reason: "pull request #7 by trusted alice, sent by trusted carol" });
  });

  it("trusts no ref of a kind without its own rule once any ref rule is set", () => {
    const branchesOnly = { senders: ["alice"], branches: ["main"] };
    expect(decideTrust(push, branchesOnly).trusted).toBe(true);
    expect(decideTrust({ ...push, event: "tag", branch: "refs/tags/v1.2" }, branchesOnly)).toEqual({
      trusted: false,
      reason: "tag v1.2: trusted.tags is not set, and trusted refs are limited by a rule",
    });
    const tagsOnly = { senders: ["alice"], tags: ["v*"] };
    expect(decideTrust({ ...push, event: "tag", branch: "refs/tags/v1.2" }, tagsOnly).trusted).toBe(true);
    expect(decideTrust(push, tagsOnly)).toEqual({ trusted: false, reason: "branch main: trusted.branches is not set, and trusted refs are limited by a rule" });
    // Without any ref rule, every ref of a trusted sender is trusted.
    expect(decideTrust({ ...push, event: "tag", branch: "refs/tags/v1.2" }, rules).trusted).toBe(true);
  });

  it("applies branch and tag rules", () => {
    const guarded = { senders: ["alice"], branches: ["main", "release/*"], tags: ["v*"] };
    expect(decideTrust(push, guarded).trusted).toBe(true);
    expect(decideTrust({ ...push, branch: "release/2" }, guarded).trusted).toBe(true);
    expect(decideTrust({ ...push, branch: "wip" }, guarded)).toEqual({ trusted: false, reason: "branch wip matches no trusted.branches pattern" });
    expect(decideTrust({ ...push, event: "tag", branch: "refs/tags/v1.2" }, guarded).trusted).toBe(true);
    expect(decideTrust({ ...push, event: "tag", branch: "refs/tags/nightly" }, guarded)).toEqual({ trusted: false, reason: "tag nightly matches no trusted.tags pattern" });
    expect(decideTrust({ ...pullRequest(false, "alice"), pullRequest: { number: 7, fromFork: false, author: "alice", targetBranch: "wip" } }, guarded).trusted).toBe(false);
  });

  it("tells a pull request inside a forked repository from one out of a fork, as Gitea really sends them", () => {
    const parse = (file: string) => {
      const { headers, payload } = JSON.parse(readFileSync(new URL(`../fixtures/webhooks/gitea/${file}`, import.meta.url), "utf8")) as { headers: IncomingHttpHeaders; payload: unknown };
      const source = recogniseHook(headers, false)!;
      return source.forge.parse(source.event, payload) as BuildRequest;
    };
    expect(decideTrust(parse("pull_request_inside_fork_opened.json"), { senders: [] }).reason).toBe("pull request #1 comes from this repository and its author bob is not a trusted sender");
    expect(decideTrust(parse("pull_request_from_fork_opened.json"), { senders: [] }).reason).toBe("pull request #1 comes from a fork and its author bob is not a trusted sender");
    expect(decideTrust(parse("pull_request_inside_fork_opened.json"), { senders: ["bob"] })).toEqual({ trusted: true, reason: "pull request #1 by trusted bob" });
  });
});
