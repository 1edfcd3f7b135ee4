import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBuildMeta, petrelMetaKeys, toBuildMeta } from "../../src/builds/build-meta.js";
import { parseGitlabHook } from "../../src/forge/gitlab-payload.js";
import type { BuildRequest } from "../../src/forge/build-request.js";
import { gitlabMergeRequest } from "../support/payloads.js";

describe("build meta", () => {
  it("lists in the builder job's meta_optional every key Petrel may dispatch", () => {
    const hcl = readFileSync(new URL("../../hcl/builder.hcl", import.meta.url), "utf8");
    const optional = /meta_optional\s*=\s*\[([^\]]*)\]/.exec(hcl)?.[1] ?? "";
    expect(JSON.parse(`[${optional}]`)).toEqual(petrelMetaKeys);
  });

  it("gives back the request it was dispatched for, as far as a rerun needs it", () => {
    const request = parseGitlabHook("Merge Request Hook", gitlabMergeRequest({ cloneUrl: "https://gitlab.example.org/group/widget.git" })) as BuildRequest;
    const meta = toBuildMeta(request, "default", { trusted: false, reason: "not a trusted sender" }, undefined);
    expect(Object.keys(meta).every((key) => ["REPO_URL", "COMMIT", "BRANCH", "FLAVOR", ...petrelMetaKeys].includes(key))).toBe(true);
    expect(fromBuildMeta(meta)).toEqual({ ...request, pullRequest: { ...request.pullRequest, fromFork: undefined } });
  });
});
