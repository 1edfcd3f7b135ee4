import { describe, expect, it } from "vitest";
import { HookPayloadError } from "../../src/forge/build-request.js";
import { parseGiteaHook } from "../../src/forge/gitea-payload.js";
import { giteaComment, giteaPullRequest, giteaPush } from "../support/payloads.js";

const cloneUrl = "https://git.example.org/team/widget.git";

describe("parseGiteaHook", () => {
  it("turns a branch push into a build of its head commit", () => {
    expect(parseGiteaHook("push", giteaPush({ cloneUrl, after: "1".repeat(40) }))).toEqual({
      forge: "gitea",
      event: "push",
      cloneUrl,
      commit: "1".repeat(40),
      branch: "main",
      sender: "alice",
      forgeUrl: "https://git.example.org",
      forgeRepo: "team/widget",
    });
  });

  it("builds an annotated tag's commit, not the tag object", () => {
    const request = parseGiteaHook("push", giteaPush({ cloneUrl, ref: "refs/tags/v1.0", after: "7".repeat(40), headCommit: "8".repeat(40) }));
    expect(request).toMatchObject({ event: "tag", commit: "8".repeat(40), branch: "refs/tags/v1.0" });
  });

  it("builds a pull request's head by its fetchable ref, and tells a fork", () => {
    expect(parseGiteaHook("pull_request", giteaPullRequest({ cloneUrl, action: "synchronized", sha: "9".repeat(40) }))).toMatchObject({
      event: "pull_request",
      commit: "9".repeat(40),
      branch: "refs/pull/7/head",
      sender: "mallory",
      pullRequest: { number: 7, fromFork: true, author: "mallory", targetBranch: "main" },
    });
    expect(parseGiteaHook("pull_request", giteaPullRequest({ cloneUrl, fork: false }))).toMatchObject({ pullRequest: { fromFork: false } });
  });

  it("tells a fork by comparing the head's repository with the base's, not by their fork flags", () => {
    const inForkedRepo = giteaPullRequest({ cloneUrl, fork: false });
    // A repository that is itself a fork: both sides say fork: true, and the pull request is from a branch of its own.
    for (const side of [inForkedRepo.pull_request.head, inForkedRepo.pull_request.base]) Object.assign(side.repo, { id: 5, fork: true });
    expect(parseGiteaHook("pull_request", inForkedRepo)).toMatchObject({ pullRequest: { fromFork: false } });
    const fromFork = giteaPullRequest({ cloneUrl, fork: true });
    Object.assign(fromFork.pull_request.head.repo, { id: 6 });
    Object.assign(fromFork.pull_request.base.repo, { id: 5 });
    expect(parseGiteaHook("pull_request", fromFork)).toMatchObject({ pullRequest: { fromFork: true } });
  });

  it.each([
    ["push", giteaPush({ cloneUrl, after: "0".repeat(40), headCommit: null }), "refs/heads/main was deleted"],
    ["pull_request", giteaPullRequest({ cloneUrl, action: "closed" }), "pull request action 'closed' doesn't build"],
    ["pull_request", giteaPullRequest({ cloneUrl, action: "label_updated" }), "pull request action 'label_updated' doesn't build"],
    ["create", { ref: "v1", ref_type: "tag" }, "create events don't build"],
    ["issues", {}, "gitea event 'issues' doesn't build"],
  ])("ignores %s that must not build, saying why", (event, payload, reason) => {
    expect(parseGiteaHook(event, payload)).toHaveProperty("ignored");
    expect((parseGiteaHook(event, payload) as { ignored: string }).ignored).toContain(reason);
  });

  it.each([
    [{ ...giteaPush({ cloneUrl }), ref: 5 }, "gitea push: ref:"],
    [{ ...giteaPush({ cloneUrl }), sender: {} }, "gitea push: sender:"],
    [{ ...giteaPush({ cloneUrl }), repository: { clone_url: cloneUrl } }, "gitea push: repository.full_name:"],
    [null, "gitea push: (body):"],
  ])("refuses a malformed push naming the field (%#)", (payload, problem) => {
    expect(() => parseGiteaHook("push", payload)).toThrow(HookPayloadError);
    expect(() => parseGiteaHook("push", payload)).toThrow(problem);
  });

  it.each([
    ["push", { ...giteaPush({ cloneUrl }), repository: { ...giteaPush({ cloneUrl }).repository, full_name: "victim/other" } }, "repository.full_name: 'victim/other' is not the repository of repository.clone_url"],
    ["push", giteaPush({ cloneUrl, after: `${"1".repeat(40)}/../../../../../admin/users`, headCommit: null }), "gitea push: after: expected a full commit hash"],
    ["push", giteaPush({ cloneUrl, headCommit: "HEAD" }), "gitea push: head_commit.id: expected a full commit hash"],
    ["pull_request", giteaPullRequest({ cloneUrl, sha: "main" }), "pull_request.head.sha: expected a full commit hash"],
  ])("refuses a %s that would aim statuses elsewhere than its repository (%#)", (event, payload, problem) => {
    expect(() => parseGiteaHook(event, payload)).toThrow(HookPayloadError);
    expect(() => parseGiteaHook(event, payload)).toThrow(problem);
  });

  it("takes a pull request comment with a line '/petrel approve' for an approval by its sender, and no other comment", () => {
    expect(parseGiteaHook("issue_comment", giteaComment({ cloneUrl, body: "Read it, fine.\n/petrel approve\n" }))).toEqual({ approval: { cloneUrl, ref: "refs/pull/7/head", by: "alice" } });
    const ignored = (payload: unknown) => (parseGiteaHook("issue_comment", payload) as { ignored: string }).ignored;
    expect(ignored(giteaComment({ cloneUrl, body: "/petrel approve", isPull: false }))).toBe("a comment on an issue doesn't build");
    expect(ignored(giteaComment({ cloneUrl, body: "please /petrel approve this" }))).toBe("a comment without a line '/petrel approve' doesn't build");
    expect(ignored(giteaComment({ cloneUrl, body: "/petrel approve", action: "edited" }))).toBe("comment action 'edited' doesn't build");
  });

  it("names the pull request a 'closed' event closes, so what waits there for approval is dropped", () => {
    expect(parseGiteaHook("pull_request", giteaPullRequest({ cloneUrl, action: "closed" }))).toEqual({ ignored: "pull request action 'closed' doesn't build", closes: "refs/pull/7/head" });
    expect(parseGiteaHook("pull_request", giteaPullRequest({ cloneUrl, action: "edited" }))).not.toHaveProperty("closes");
  });
});
