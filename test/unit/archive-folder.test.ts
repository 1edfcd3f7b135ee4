import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFolder, createBuildArchive, logName } from "../../src/archive/build-archive.js";
import { folderStore } from "../../src/archive/folder-store.js";
import { gzipSync } from "node:zlib";

const dir = mkdtempSync(join(tmpdir(), "petrel-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the archive's layout", () => {
  it("keeps a builder's builds under the builder's name, each part of the job id percent-encoded", () => {
    expect(buildFolder("builder/dispatch-1700000000-0123abcd")).toBe("builds/builder/dispatch-1700000000-0123abcd");
    expect(buildFolder("ci builder/dispatch-1?x=%")).toBe("builds/ci%20builder/dispatch-1%3Fx%3D%25");
    expect(logName("executor", "stderr")).toBe("executor/stderr.gz");
  });

  it("names no folder for a job id or task that would lead outside the build's own", () => {
    for (const job of ["..", "../etc", "builder/../../etc", "builder//dispatch", "/abs", "builder/.", ""]) expect(buildFolder(job), job).toBeUndefined();
    expect(logName("..", "stdout")).toBeUndefined();
  });

  it("publishes a build's record after its logs, and reads it back; a missing build is undefined", async () => {
    const archive = createBuildArchive(folderStore(join(dir, "store")));
    const status = { job: "b/dispatch-1-a", task: "executor", meta: {}, submittedAt: null } as never;
    await archive.save({ status, archivedAt: "2026-11-30T00:00:00.000Z", logs: [] }, new Map([["executor/stdout.gz", gzipSync("hello\n")]]));
    expect(await archive.record("b/dispatch-1-a")).toEqual({ status, archivedAt: "2026-11-30T00:00:00.000Z", logs: [] });
    const log = async (offset?: number) => Buffer.concat(await (await archive.log("b/dispatch-1-a", "executor", "stdout", offset))!.toArray()).toString();
    expect(await log()).toBe("hello\n");
    expect(await log(3)).toBe("lo\n");
    expect(await log(99)).toBe("");
    expect(await archive.log("b/dispatch-1-a", "executor", "stderr")).toBeUndefined();
    expect(await archive.record("b/dispatch-2-b")).toBeUndefined();
    expect(await archive.record("../../etc")).toBeUndefined();
    // Nothing half-written is left beside the objects.
    expect(readdirSync(join(dir, "store", "builds", "b", "dispatch-1-a")).sort()).toEqual(["build.json", "executor"]);
  });

  it("lists keys under a prefix in byte order, after a key, at most a number of them", async () => {
    const store = folderStore(join(dir, "list"));
    for (const key of ["a/2", "a/1", "a/10", "b/1", "a/sub/3"]) await store.put(key, Buffer.from(key), "text/plain");
    expect(await store.list("a/")).toEqual(["a/1", "a/10", "a/2", "a/sub/3"]);
    expect(await store.list("a/", { startAfter: "a/10", limit: 1 })).toEqual(["a/2"]);
    expect(await store.list("c/")).toEqual([]);
    await store.remove(["a/1", "a/missing"]);
    expect(await store.list("a/1")).toEqual(["a/10"]);
  });

  it("prunes the builds dispatched before a time, records first, and leaves no empty folder behind", async () => {
    const root = join(dir, "prune");
    const archive = createBuildArchive(folderStore(root));
    const day = 86_400;
    const now = 1_800_000_000;
    const recent = new Date((now - day) * 1000).toISOString();
    const save = (job: string) => archive.save({ status: { job, meta: { FORGE_REPO: "mixed/x", BRANCH: "main" }, submittedAt: recent } as never, archivedAt: "", logs: [] }, new Map([["executor/stdout.gz", gzipSync(job)]]));
    await save(`old/dispatch-${now - 91 * day}-0123abcd`);
    await save(`mixed/dispatch-${now - 100 * day}-0123abcd`);
    await save(`mixed/dispatch-${now - day}-4567ef01`);
    await save("mixed/not-dispatched");
    expect(await archive.prune(new Date((now - 90 * day) * 1000))).toBe(2);
    expect(await archive.record(`mixed/dispatch-${now - day}-4567ef01`)).toBeDefined();
    expect(await archive.record("mixed/not-dispatched")).toBeDefined();
    expect(await archive.record(`mixed/dispatch-${now - 100 * day}-0123abcd`)).toBeUndefined();
    expect(readdirSync(join(root, "builds")).sort()).toEqual(["mixed"]);
    // Their history entries went with them: both kept builds are listed twice (all, and main).
    expect((await archive.history("mixed/x", undefined, { limit: 10 })).builds.map((build) => build.job).sort()).toEqual([`mixed/dispatch-${now - day}-4567ef01`, "mixed/not-dispatched"]);
    expect((await folderStore(root).list("index/")).length).toBe(4);
    expect(readdirSync(join(root, "builds", "mixed")).sort()).toEqual([`dispatch-${now - day}-4567ef01`, "not-dispatched"]);
  });
});
