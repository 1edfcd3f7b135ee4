import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hookScript } from "../../src/upload/hook-script.js";
import { tempFolder } from "../support/temp-folder.js";

function folders() {
  const root = tempFolder("petrel-hook-");
  const paths = { spool: join(root, "spool"), gcroots: join(root, "roots"), nixStore: "/bin/false" };
  mkdirSync(paths.spool);
  mkdirSync(paths.gcroots);
  return { root, paths };
}

/** The hook's GC root: an empty regular file named after the output, not a link. */
function isEmptyFile(path: string): boolean {
  const stat = lstatSync(path);
  return stat.isFile() && stat.size === 0;
}

describe("the post-build-hook script", () => {
  it("takes OUT_PATHS when Nix sends them, without asking nix-store", () => {
    const { root, paths } = folders();
    const hook = join(root, "hook");
    writeFileSync(hook, hookScript(paths), { mode: 0o755 });
    const out = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x";
    const stdout = execFileSync(hook, { env: { DRV_PATH: "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x.drv", OUT_PATHS: `${out} ${out}-doc` }, encoding: "utf8" });
    expect(stdout).toBe("");
    expect(readFileSync(join(paths.spool, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x.drv"), "utf8")).toBe(`drv /nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x.drv\nout ${out}\nout ${out}-doc\nend\n`);
    expect(isEmptyFile(join(paths.gcroots, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x-doc"))).toBe(true);
  });

  it("leaves a root that is a link as it is, without writing through it", () => {
    const { root, paths } = folders();
    const hook = join(root, "hook");
    writeFileSync(hook, hookScript(paths), { mode: 0o755 });
    // What an older hook left: a link to the output, here a file that must keep its bytes.
    const output = join(root, "output");
    writeFileSync(output, "built\n");
    symlinkSync(output, join(paths.gcroots, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh-x"));
    execFileSync(hook, { env: { DRV_PATH: "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x.drv", OUT_PATHS: "/nix/store/hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh-x" } });
    expect(readlinkSync(join(paths.gcroots, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh-x"))).toBe(output);
    expect(readFileSync(output, "utf8")).toBe("built\n");
  });

  it("reads the outputs from the .drv file when OUT_PATHS is empty, without a nix-store process", () => {
    const { root, paths } = folders();
    const hook = join(root, "hook");
    writeFileSync(hook, hookScript(paths), { mode: 0o755 });
    const [doc, out] = ["/nix/store/dddddddddddddddddddddddddddddddd-x-doc", "/nix/store/oooooooooooooooooooooooooooooooo-x"];
    const drv = join(root, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x.drv");
    // As Nix writes it: ATerm, no trailing newline; the inputs hold store paths too, which must not count.
    writeFileSync(drv, `Derive([("doc","${doc}","",""),("out","${out}","","")],[("/nix/store/iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii-y.drv",["out"])],[],"x86_64-linux","/bin/sh",["-c","echo"],[("out","${out}")])`);
    execFileSync(hook, { env: { DRV_PATH: drv, OUT_PATHS: "" } });
    expect(readFileSync(join(paths.spool, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x.drv"), "utf8")).toBe(`drv ${drv}\nout ${doc}\nout ${out}\nend\n`);
  });

  it("reads the outputs from the head of a large .drv, and asks the store when they don't fit in it", () => {
    const { root, paths } = folders();
    const answer = join(root, "store-answer");
    // What `nix-store --query --outputs` prints: the outputs, a line each.
    writeFileSync(answer, "#!/bin/sh\nprintf '%s\\n' /nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-0 /nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-1\n", { mode: 0o755 });
    const hook = join(root, "hook");
    writeFileSync(hook, hookScript({ ...paths, nixStore: answer }), { mode: 0o755 });
    const out = "/nix/store/oooooooooooooooooooooooooooooooo-big";
    const big = join(root, "ffffffffffffffffffffffffffffffff-big.drv");
    writeFileSync(big, `Derive([("out","${out}","","")],[${'("/nix/store/iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii-y.drv",["out"]),'.repeat(4000)}],[],"x86_64-linux","/bin/sh",[],[])`);
    execFileSync(hook, { env: { DRV_PATH: big, OUT_PATHS: "" } });
    expect(readFileSync(join(paths.spool, "ffffffffffffffffffffffffffffffff-big.drv"), "utf8")).toBe(`drv ${big}\nout ${out}\nend\n`);
    const many = join(root, "gggggggggggggggggggggggggggggggg-many.drv");
    const outputs = Array.from({ length: 200 }, (_, i) => `("o${i}","/nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-${i}","","")`).join(",");
    writeFileSync(many, `Derive([${outputs}],[],[],"x86_64-linux","/bin/sh",[],[])`);
    execFileSync(hook, { env: { DRV_PATH: many, OUT_PATHS: "" } });
    expect(readFileSync(join(paths.spool, "gggggggggggggggggggggggggggggggg-many.drv"), "utf8")).toBe(`drv ${many}\nout /nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-0\nout /nix/store/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-1\nend\n`);
    expect(isEmptyFile(join(paths.gcroots, "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq-many-1"))).toBe(true);
  });

  it("fails (and so stops the daemon's builds) rather than enqueue nothing when the outputs can't be found", () => {
    const { root, paths } = folders();
    const hook = join(root, "hook");
    writeFileSync(hook, hookScript(paths), { mode: 0o755 });
    expect(() => execFileSync(hook, { env: { DRV_PATH: "/nix/store/c-x.drv" }, stdio: "pipe" })).toThrow();
  });

  it("refuses paths that are not absolute or hold shell-special characters", () => {
    const paths = { spool: "/var/spool/petrel", gcroots: "/nix/var/nix/gcroots/petrel", nixStore: "/usr/bin/nix-store" };
    expect(() => hookScript({ ...paths, spool: "spool" })).toThrow("spool must be an absolute path");
    expect(() => hookScript({ ...paths, gcroots: "/tmp/$(reboot)" })).toThrow("gcroots must be an absolute path");
  });
});
