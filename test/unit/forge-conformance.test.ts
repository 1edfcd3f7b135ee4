import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isApproval, isIgnored, type HookOutcome } from "../../src/forge/build-request.js";
import { parseGiteaHook } from "../../src/forge/gitea.js";
import { parseGitlabHook } from "../../src/forge/gitlab.js";

/**
 * Payloads captured from real Gitea and GitLab instances, kept beside the
 * project (not in it): read from there whenever the folder exists, as in CI.
 */
const fixtures = fileURLToPath(new URL("../../../shared/fixtures/webhooks", import.meta.url));
const read = (file: string): unknown => JSON.parse(readFileSync(join(fixtures, file), "utf8"));
const sha = /^[0-9a-f]{40}$/;

/** What each captured payload must become: its event header and whether, and what, it builds. */
const expectations: Record<string, { event: string; builds?: Partial<Record<string, unknown>>; ignored?: string }> = {
  "gitea/push.json": { event: "push", builds: { event: "push", branch: "main", commit: "ef98532add3b2feb7a137426bba1248724367df5", sender: "gordon" } },
  "gitea/pull_request_opened.json": { event: "pull_request", builds: { event: "pull_request", branch: "refs/pull/1/head" } },
  "gitea/pull_request_synchronized.json": { event: "pull_request", builds: { event: "pull_request", commit: "788ed8d02d3b7fcfcf6386dbcbca696aa1d4dc25" } },
  "gitea/pull_request_closed.json": { event: "pull_request", ignored: "'closed'" },
  "gitea/pull_request_merged.json": { event: "pull_request", ignored: "'closed'" },
  "gitea/tag_create.json": { event: "create", ignored: "create events" },
  "gitea/release.json": { event: "release", ignored: "'release'" },
  "gitlab/push.json": { event: "Push Hook", builds: { event: "push", branch: "main", commit: "16862e368d8ab812e48833b741dad720d6e2cb7f", sender: "test" } },
  "gitlab/tag_push.json": { event: "Tag Push Hook", builds: { event: "tag", branch: "refs/tags/v22", commit: "16862e368d8ab812e48833b741dad720d6e2cb7f" } },
  "gitlab/merge_request_opened.json": { event: "Merge Request Hook", builds: { event: "pull_request", commit: "2f7670508b771e7e77839402be8b34b13787aba8" } },
  "gitlab/merge_request_updated.json": { event: "Merge Request Hook", builds: { event: "pull_request", branch: "refs/merge-requests/3/head" } },
  "gitlab/merge_request_edited.json": { event: "Merge Request Hook", ignored: "without new commits" },
  "gitlab/merge_request_merged.json": { event: "Merge Request Hook", ignored: "'merge'" },
};

describe.runIf(existsSync(fixtures))("captured webhook payloads", () => {
  it("has an expectation for every captured payload", () => {
    const files = ["gitea", "gitlab"].flatMap((forge) => readdirSync(join(fixtures, forge)).map((name) => `${forge}/${name}`));
    expect(files.sort()).toEqual(Object.keys(expectations).sort());
  });

  it.each(Object.entries(expectations))("%s", (file, expected) => {
    const parse = file.startsWith("gitea/") ? parseGiteaHook : parseGitlabHook;
    const outcome: HookOutcome = parse(expected.event, read(file));
    if (expected.ignored !== undefined) {
      expect(isIgnored(outcome) && outcome.ignored).toContain(expected.ignored);
      return;
    }
    if (isIgnored(outcome)) throw new Error(`${file} was ignored: ${outcome.ignored}`);
    if (isApproval(outcome)) throw new Error(`${file} was taken for an approval`);
    expect(outcome.commit).toMatch(sha);
    expect(outcome.cloneUrl).toMatch(/^https?:\/\//);
    expect(outcome).toMatchObject(expected.builds ?? {});
  });
});
