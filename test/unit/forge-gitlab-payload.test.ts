import { describe, expect, it } from "vitest";
import { HookPayloadError } from "../../src/forge/build-request.js";
import { parseGitlabHook } from "../../src/forge/gitlab-payload.js";
import { gitlabMergeRequest, gitlabNote, gitlabPush } from "../support/payloads.js";

const cloneUrl = "https://gitlab.example.org/group/widget.git";

describe("parseGitlabHook", () => {
  it("turns Push Hook and Tag Push Hook into builds", () => {
    expect(parseGitlabHook("Push Hook", gitlabPush({ cloneUrl }))).toEqual({
      forge: "gitlab",
      event: "push",
      cloneUrl,
      commit: "d".repeat(40),
      branch: "main",
      sender: "alice",
      forgeUrl: "https://gitlab.example.org",
      forgeRepo: "group/widget",
    });
    expect(parseGitlabHook("Tag Push Hook", gitlabPush({ cloneUrl, kind: "tag_push" }))).toMatchObject({ event: "tag", branch: "refs/tags/v1" });
  });

  it("reads Service Hook by the payload's object_kind", () => {
    expect(parseGitlabHook("Service Hook", gitlabPush({ cloneUrl, kind: "tag_push" }))).toMatchObject({ event: "tag" });
  });

  it("builds merge requests that are opened, reopened or get new commits", () => {
    for (const action of ["open", "reopen"]) {
      expect(parseGitlabHook("Merge Request Hook", gitlabMergeRequest({ cloneUrl, action }))).toMatchObject({
        event: "pull_request",
        branch: "refs/merge-requests/3/head",
        pullRequest: { number: 3, fromFork: false, author: "alice", targetBranch: "main" },
      });
    }
    const update = gitlabMergeRequest({ cloneUrl, action: "update", oldrev: "f".repeat(40), fork: true });
    expect(parseGitlabHook("Merge Request Hook", update)).toMatchObject({ pullRequest: { fromFork: true } });
  });

  it.each([
    ["Merge Request Hook", gitlabMergeRequest({ cloneUrl, action: "update" }), "without new commits"],
    ["Merge Request Hook", gitlabMergeRequest({ cloneUrl, action: "close" }), "action 'close'"],
    ["Merge Request Hook", gitlabMergeRequest({ cloneUrl, action: "merge" }), "action 'merge'"],
    ["Push Hook", gitlabPush({ cloneUrl, sha: null }), "refs/heads/main was deleted"],
    ["Note Hook", gitlabNote({ cloneUrl, note: "/petrel approve", noteableType: "Issue" }), "comments on Issues don't build"],
    ["Note Hook", gitlabNote({ cloneUrl, note: "looks fine" }), "without a line '/petrel approve'"],
    ["Wiki Page Hook", {}, "gitlab event 'Wiki Page Hook'"],
  ])("ignores %s that must not build (%#)", (event, payload, reason) => {
    expect(parseGitlabHook(event, payload)).toHaveProperty("ignored");
    expect((parseGitlabHook(event, payload) as { ignored: string }).ignored).toContain(reason);
  });

  it("takes a merge request from an older GitLab whose user has no id, with nobody named its author", () => {
    const payload = gitlabMergeRequest({ cloneUrl });
    const user: Partial<typeof payload.user> = { ...payload.user };
    delete user.id;
    expect(parseGitlabHook("Merge Request Hook", { ...payload, user })).toMatchObject({ sender: payload.user.username, pullRequest: { author: undefined } });
  });

  it("refuses a push without the pusher's username, naming the field and why", () => {
    const payload: Partial<ReturnType<typeof gitlabPush>> = gitlabPush({ cloneUrl, kind: "tag_push" });
    delete payload.user_username;
    expect(() => parseGitlabHook("Tag Push Hook", payload)).toThrow("gitlab tag push: user_username: missing: Petrel decides trust by the pusher's username");
  });

  it("refuses a malformed merge request naming the field", () => {
    const payload = gitlabMergeRequest({ cloneUrl });
    const broken = { ...payload, object_attributes: { ...payload.object_attributes, last_commit: {} } };
    expect(() => parseGitlabHook("Merge Request Hook", broken)).toThrow(HookPayloadError);
    expect(() => parseGitlabHook("Merge Request Hook", broken)).toThrow("object_attributes.last_commit.id");
  });

  it.each([
    [{ ...gitlabPush({ cloneUrl }), checkout_sha: `${"d".repeat(40)}/../../../../users` }, "checkout_sha: expected a full commit hash"],
    [{ ...gitlabPush({ cloneUrl }), project: { ...gitlabPush({ cloneUrl }).project, path_with_namespace: "victim/other" } }, "project.path_with_namespace: 'victim/other' is not the repository of project.git_http_url"],
  ])("refuses a payload that would aim statuses elsewhere than its repository (%#)", (payload, problem) => {
    expect(() => parseGitlabHook("Push Hook", payload)).toThrow(HookPayloadError);
    expect(() => parseGitlabHook("Push Hook", payload)).toThrow(problem);
  });

  it("takes a merge request comment with a line '/petrel approve' for an approval by its author", () => {
    expect(parseGitlabHook("Note Hook", gitlabNote({ cloneUrl, note: "/petrel approve" }))).toEqual({ approval: { cloneUrl, ref: "refs/merge-requests/3/head", by: "alice" } });
  });

  it("names the merge request a close or merge closes, so what waits there for approval is dropped", () => {
    for (const action of ["close", "merge"]) expect(parseGitlabHook("Merge Request Hook", gitlabMergeRequest({ cloneUrl, action }))).toMatchObject({ closes: "refs/merge-requests/3/head" });
    expect(parseGitlabHook("Merge Request Hook", gitlabMergeRequest({ cloneUrl, action: "update" }))).not.toHaveProperty("closes");
  });
});
