import { describe, expect, it } from "vitest";
import { entrySeconds, historyFolder, historyKeys } from "../../src/archive/history.js";
import type { BuildStatus } from "../../src/builds/build-status.js";
import type { BuildSummary } from "../../src/builds/list-builds.js";
import { namesRepository, repositoryName } from "../../src/builds/repository-name.js";
import { commitLink } from "../../src/forge/forges.js";
import { badgeSvg, badgeVerdict } from "../../src/server/badge.js";

const status = (job: string, meta: Record<string, string>) => ({ job, meta, submittedAt: null }) as unknown as BuildStatus;

describe("the history index", () => {
  it("names a repository by owner/name, however it is given", () => {
    for (const given of ["Alice/Widget", "https://git.example.org/alice/widget.git", "http://git.example.org:3000/alice/widget/", "git@git.example.org:alice/widget.git", "ssh://git@git.example.org:2222/alice/widget.git"]) {
      expect(repositoryName(given), given).toBe("alice/widget");
    }
    expect(repositoryName("https://gitlab.example.org/group/sub/project.git")).toBe("group/sub/project");
    expect(repositoryName("http://[")).toBe("http://[");
    expect(["alice/widget", "group/sub/project", "https://git.example.org/alice/widget.git", "git@git.example.org:alice/widget.git"].every(namesRepository)).toBe(true);
    expect(["widget", "http://[", "https://git.example.org/", "https://git.example.org/widget", "alice/ widget", "/alice/"].filter(namesRepository)).toEqual([]);
  });

  it("lists a build under its repository and its branch or pull request, newest first", () => {
    const older = historyKeys(status("b/dispatch-1700000000-0123abcd", { FORGE_REPO: "alice/widget", BRANCH: "main" }));
    const newer = historyKeys(status("b/dispatch-1700000001-4567ef01", { FORGE_REPO: "alice/widget", BRANCH: "main" }));
    expect(older).toEqual(["index/alice%2Fwidget/all/8299999999-b%2Fdispatch-1700000000-0123abcd", "index/alice%2Fwidget/branch/main/8299999999-b%2Fdispatch-1700000000-0123abcd"]);
    expect(newer[0]! < older[0]!).toBe(true);
    expect(entrySeconds(older[0]!)).toBe(1_700_000_000);
    const pr = historyKeys(status("b/dispatch-1700000000-0123abcd", { REPO_URL: "https://git.example.org/alice/widget.git", BRANCH: "fix", PR: "7" }));
    expect(pr[1]).toMatch(new RegExp(`^${historyFolder("alice/widget", { pr: 7 })}`));
  });

  it("keeps a branch's name inside its own folder, whatever it holds", () => {
    expect(historyFolder("alice/widget", { branch: "../../builds/x" })).toBe("index/alice%2Fwidget/branch/..%2F..%2Fbuilds%2Fx/");
    // A folder store joins the segments as a path: none of them may be one that walks up or stays put.
    for (const [repo, branch] of [["alice/widget", ".."], ["alice/widget", "."], ["alice/widget", ""], ["..", "main"], [".", ".."]] as const) {
      const folder = historyFolder(repo, { branch });
      expect(folder.split("/").slice(0, -1).filter((segment) => segment === "" || segment === "." || segment === ".."), folder).toEqual([]);
      expect(historyKeys(status("b/dispatch-1700000000-0123abcd", { FORGE_REPO: repo, BRANCH: branch }))[1]!.startsWith(folder)).toBe(true);
    }
  });
});

describe("badges", () => {
  const build = (state: BuildSummary["state"], finished = true) => ({ state, finished }) as BuildSummary;

  it("say running while the newest build runs, else the newest verdict, passing over canceled builds", () => {
    expect(badgeVerdict([build("running", false), build("failure")])).toBe("running");
    expect(badgeVerdict([build("canceled"), build("success"), build("failure")])).toBe("passing");
    expect(badgeVerdict([build("error"), build("success")])).toBe("failing");
    expect(badgeVerdict([build("canceled")])).toBe("unknown");
    expect(badgeVerdict([])).toBe("unknown");
  });

  it("are an SVG of Petrel's own words", () => {
    expect(badgeSvg("passing")).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20" role="img" aria-label="build: passing">/);
  });
});

describe("a build's commit on its forge", () => {
  it("is each forge's commit page, and nothing for an address that is not http(s)", () => {
    const meta = { FORGE_URL: "https://git.example.org/", FORGE_REPO: "alice/widget", COMMIT: "c".repeat(40) };
    expect(commitLink({ ...meta, FORGE: "gitea" })).toBe(`https://git.example.org/alice/widget/commit/${"c".repeat(40)}`);
    expect(commitLink({ ...meta, FORGE: "gitlab" })).toBe(`https://git.example.org/alice/widget/-/commit/${"c".repeat(40)}`);
    expect(commitLink({ ...meta, FORGE_URL: "javascript:alert(1)//" })).toBeUndefined();
    expect(commitLink({ FORGE_REPO: "alice/widget", COMMIT: "c" })).toBeUndefined();
  });
});
