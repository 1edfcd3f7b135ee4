import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findOldRoots, removeRoots } from "../../src/gc/old-roots.js";

const day = 24 * 60 * 60 * 1000;
const now = Date.now();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "petrel-gc-roots-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A symbolic link at `path` whose own mtime is `ageDays` back; its target need not exist, as a GC root's store path may not. */
function link(path: string, ageDays: number): string {
  mkdirSync(join(path, ".."), { recursive: true });
  symlinkSync("/nix/store/00000000000000000000000000000000-gone", path);
  const when = new Date(now - ageDays * day);
  lutimesSync(path, when, when);
  return path;
}

describe("the build roots petrel gc removes", () => {
  it("are the links older than the age at any depth, nix-build's -<output> links included, by the link's own time", () => {
    const old = [link(join(dir, "repo-a", "c1-default"), 8), link(join(dir, "repo-a", "c1-default-dev"), 8), link(join(dir, "x", "y", "deep"), 30)];
    link(join(dir, "repo-a", "c2-default"), 6);
    link(join(dir, "repo-b", "c3-default"), 0);
    writeFileSync(join(dir, "repo-b", "not-a-link"), "");
    const found = findOldRoots(dir, 7 * day, now);
    expect({ old: found.old.sort(), kept: found.kept }).toEqual({ old: old.sort(), kept: 2 });
  });

  it("are none on a node that never built, with no roots folder yet", () => {
    expect(findOldRoots(join(dir, "missing"), 7 * day, now)).toEqual({ old: [], kept: 0 });
    expect(() => removeRoots(join(dir, "missing"), [], 7 * day, now)).not.toThrow();
  });

  it("leave behind no folder they emptied, but keep the roots folder and a young empty folder a starting build made", () => {
    const old = [link(join(dir, "repo-a", "c1-default"), 8), link(join(dir, "x", "y", "deep"), 30)];
    link(join(dir, "repo-b", "c2-default"), 1);
    link(join(dir, "repo-b", "c0-default"), 9);
    mkdirSync(join(dir, "repo-c"));
    mkdirSync(join(dir, "abandoned"));
    utimesSync(join(dir, "abandoned"), new Date(now - 9 * day), new Date(now - 9 * day));
    removeRoots(dir, [...old, join(dir, "repo-b", "c0-default")], 7 * day, now);
    expect(readdirSync(dir).sort()).toEqual(["repo-b", "repo-c"]);
    expect(readdirSync(join(dir, "repo-b"))).toEqual(["c2-default"]);
    removeRoots(dir, findOldRoots(dir, 0, now + 2 * day).old, 7 * day, now);
    expect({ dir: existsSync(dir), left: readdirSync(dir) }).toEqual({ dir: true, left: ["repo-c"] });
  });
});
