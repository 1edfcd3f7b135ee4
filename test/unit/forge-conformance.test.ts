import { readdirSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { HookOutcome } from "../../src/forge/build-request.js";
import { recogniseHook } from "../../src/forge/forges.js";

/** Webhooks as real forges sent them (test/fixtures/webhooks/SOURCES.md): their headers and payload. */
const fixtures = fileURLToPath(new URL("../fixtures/webhooks/", import.meta.url));
const read = (file: string) => JSON.parse(readFileSync(`${fixtures}${file}`, "utf8")) as { headers: IncomingHttpHeaders; payload: unknown };

const gitea = "http://127.0.0.1:40743";
const widget = { forge: "gitea", cloneUrl: `${gitea}/alice/widget.git`, forgeUrl: gitea, forgeRepo: "alice/widget" } as const;
const [first, second] = ["c6a288e4afdc76fab5db7a743de7b7ac2e1d6880", "c20673029f50ec1102cf2552617fb5338e16784b"];
const [forked, forkedAgain] = ["861ba5f1347f686099d4130fb985d772bc25413d", "a825cbe8840d63a5455b6832d474a99eeb1e1b89"];
const fromBob = { sender: "bob", branch: "refs/pull/1/head", event: "pull_request" } as const;
const createIgnored = { ignored: "create events don't build: the push event for the same ref does" };
const deleteIgnored = { ignored: "deleting a branch or tag doesn't build" };
const closed = { ignored: "pull request action 'closed' doesn't build", closes: "refs/pull/1/head" };
const gitlabTest = { forge: "gitlab", cloneUrl: "http://10.40.8.5:3200/test/woodpecker.git", forgeUrl: "http://10.40.8.5:3200", forgeRepo: "test/woodpecker", sender: "test" } as const;

/** What each one must become, whole: a build request, an approval, or the reason it doesn't build. */
const expected: Record<string, HookOutcome> = {
  "gitea/push_branch_created.json": { ...widget, event: "push", commit: first, branch: "main", sender: "alice" },
  "gitea/push_branch.json": { ...widget, event: "push", commit: second, branch: "main", sender: "alice" },
  "gitea/push_branch_topic_created.json": { ...widget, event: "push", commit: second, branch: "topic", sender: "alice" },
  "gitea/create_branch.json": createIgnored,
  "gitea/delete_branch.json": deleteIgnored,
  "gitea/push_tag_lightweight.json": { ...widget, event: "tag", commit: second, branch: "refs/tags/v1.0.0", sender: "alice" },
  // `after` names the tag object; the build is of the commit it tags.
  "gitea/push_tag_annotated.json": { ...widget, event: "tag", commit: second, branch: "refs/tags/v1.1.0", sender: "alice" },
  "gitea/create_tag.json": createIgnored,
  "gitea/delete_tag.json": deleteIgnored,
  "gitea/push_tag_deleted.json": { ignored: "refs/tags/v1.0.0 was deleted" },
  "gitea/pull_request_from_fork_opened.json": { ...widget, ...fromBob, commit: forked, pullRequest: { number: 1, fromFork: true, author: "bob", targetBranch: "main" } },
  "gitea/pull_request_from_fork_synchronized.json": { ...widget, ...fromBob, commit: forkedAgain, pullRequest: { number: 1, fromFork: true, author: "bob", targetBranch: "main" } },
  "gitea/issue_comment_on_pull_request.json": { approval: { cloneUrl: widget.cloneUrl, ref: "refs/pull/1/head", by: "alice" } },
  "gitea/pull_request_from_fork_closed.json": closed,
  // A pull request between two branches of a repository that is itself a fork is not "from a fork".
  "gitea/pull_request_inside_fork_opened.json": {
    ...widget, ...fromBob, cloneUrl: `${gitea}/bob/widget.git`, forgeRepo: "bob/widget", commit: forkedAgain, pullRequest: { number: 1, fromFork: false, author: "bob", targetBranch: "main" },
  },
  "gitea/woodpecker_push.json": {
    forge: "gitea", event: "push", cloneUrl: "http://gitea.golang.org/gordon/hello-world.git", commit: "ef98532add3b2feb7a137426bba1248724367df5", branch: "main", sender: "gordon", forgeUrl: "http://gitea.golang.org", forgeRepo: "gordon/hello-world",
  },
  // A hand-written sample whose sides name no repository: nobody can tell whether it comes from a fork.
  "gitea/woodpecker_pull_request_opened.json": {
    forge: "gitea", event: "pull_request", cloneUrl: "https://gitea.golang.org/gordon/hello-world.git", commit: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", branch: "refs/pull/1/head", sender: "gordon",
    forgeUrl: "http://gitea.golang.org", forgeRepo: "gordon/hello-world", pullRequest: { number: 1, fromFork: undefined, author: "gordon", targetBranch: "main" },
  },
  "gitea/woodpecker_pull_request_synchronized.json": {
    forge: "gitea", event: "pull_request", cloneUrl: "http://127.0.0.1:3000/Test-CI/multi-line-secrets.git", commit: "788ed8d02d3b7fcfcf6386dbcbca696aa1d4dc25", branch: "refs/pull/2/head", sender: "test",
    forgeUrl: "http://127.0.0.1:3000", forgeRepo: "Test-CI/multi-line-secrets", pullRequest: { number: 2, fromFork: false, author: "test", targetBranch: "main" },
  },
  "gitea/woodpecker_pull_request_closed.json": closed,
  "gitea/woodpecker_pull_request_merged.json": closed,
  "gitea/woodpecker_tag_create.json": createIgnored,
  "gitea/woodpecker_release.json": { ignored: "gitea event 'release' doesn't build" },
  "gitlab/woodpecker_push.json": { ...gitlabTest, event: "push", commit: "16862e368d8ab812e48833b741dad720d6e2cb7f", branch: "main" },
  "gitlab/woodpecker_tag_push.json": { ...gitlabTest, event: "tag", commit: "16862e368d8ab812e48833b741dad720d6e2cb7f", branch: "refs/tags/v22" },
  "gitlab/woodpecker_merge_request_opened.json": {
    forge: "gitlab", event: "pull_request", cloneUrl: "https://gitlab.com/demoaccount2-commits-group/test_ci_tmp.git", commit: "2f7670508b771e7e77839402be8b34b13787aba8", branch: "refs/merge-requests/3/head", sender: "real6543",
    forgeUrl: "https://gitlab.com", forgeRepo: "demoaccount2-commits-group/test_ci_tmp", pullRequest: { number: 3, fromFork: false, author: "real6543", targetBranch: "main" },
  },
  "gitlab/woodpecker_merge_request_updated.json": {
    forge: "gitlab", event: "pull_request", cloneUrl: "https://gitlab.com/anbraten/woodpecker.git", commit: "c136499ec574e1034b24c5d306de9acda3005367", branch: "refs/merge-requests/3/head", sender: "anbraten",
    forgeUrl: "https://gitlab.com", forgeRepo: "anbraten/woodpecker", pullRequest: { number: 3, fromFork: false, author: "anbraten", targetBranch: "main" },
  },
  "gitlab/woodpecker_merge_request_edited.json": { ignored: "merge request update without new commits doesn't build" },
  "gitlab/woodpecker_merge_request_merged.json": { ignored: "merge request action 'merge' doesn't build", closes: "refs/merge-requests/4/head" },
};

describe("webhooks as real forges send them", () => {
  it("has an expectation for every fixture", () => {
    const files = ["gitea", "gitlab"].flatMap((forge) => readdirSync(`${fixtures}${forge}`).map((name) => `${forge}/${name}`));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("%s", (file, outcome) => {
    const { headers, payload } = read(file);
    const source = recogniseHook(headers, false);
    expect(source?.forge.name).toBe(file.split("/")[0]);
    expect(source!.forge.parse(source!.event, payload)).toStrictEqual(outcome);
    const cloneUrl = "cloneUrl" in outcome ? outcome.cloneUrl : "approval" in outcome ? outcome.approval.cloneUrl : undefined;
    if (cloneUrl !== undefined) expect(source!.forge.repositoryUrl(payload)).toBe(cloneUrl);
  });

  it("names each captured Gitea delivery, and repeats of one alike", () => {
    const { headers, payload } = read("gitea/push_branch.json");
    const forge = recogniseHook(headers, false)!.forge;
    const body = Buffer.from(JSON.stringify(payload));
    expect(forge.deliveryId(headers)).toBe(headers["x-gitea-delivery"]);
    // A replay from Gitea's UI: the same bytes under a new X-Gitea-Delivery.
    expect(forge.retryId({ headers: { ...headers, "x-gitea-delivery": "another" }, body })).toBe(forge.retryId({ headers, body }));
    const other = read("gitea/push_branch_created.json");
    expect(forge.retryId({ headers: other.headers, body: Buffer.from(JSON.stringify(other.payload)) })).not.toBe(forge.retryId({ headers, body }));
  });
});
