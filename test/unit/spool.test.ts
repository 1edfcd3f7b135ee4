import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { openSpool } from "../../src/upload/spool.js";
import { createUploader } from "../../src/upload/uploader.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolFolder() {
  const dir = mkdtempSync(join(tmpdir(), "petrel-spool-"));
  made.push(dir);
  const [folder, roots] = [join(dir, "spool"), join(dir, "roots")];
  mkdirSync(folder);
  mkdirSync(roots);
  return { folder, spool: openSpool(folder, roots) };
}

const drv = `/nix/store/${"d".repeat(32)}-x.drv`;
const out = `/nix/store/${"o".repeat(32)}-x`;
const name = `${"d".repeat(32)}-x.drv`;

describe("the spool's entries", () => {
  it("takes an entry only once the hook has written its last line", () => {
    const { folder, spool } = spoolFolder();
    writeFileSync(join(folder, name), "");
    expect(spool.list()).toEqual([]);
    writeFileSync(join(folder, name), `drv ${drv}\nout ${out}\n`);
    expect(spool.list()).toEqual([]);
    writeFileSync(join(folder, name), `drv ${drv}\nout ${out}\nend\n`);
    expect(spool.list()).toMatchObject([{ name, drv, outputs: [out], trusted: true }]);
    expect(spool.list()[0]).not.toHaveProperty("problem");
  });

  it("reads an earlier hook's entry of bare paths, which it renamed in whole", () => {
    const { folder, spool } = spoolFolder();
    writeFileSync(join(folder, `untrusted-${name}`), `${drv}\n${out}\n`);
    expect(spool.list()).toMatchObject([{ name: `untrusted-${name}`, drv, outputs: [out], trusted: false }]);
  });

  it("sets aside an entry its hook never finished, once it has waited ten minutes, saying why", async () => {
    const { folder, spool } = spoolFolder();
    writeFileSync(join(folder, name), `drv ${drv}\nout ${out}\n`);
    const copied: string[][] = [];
    const lines: string[] = [];
    const logger = createLogger("warn", new Writable({ write: (chunk: Buffer, _encoding, done) => done(void lines.push(chunk.toString())) }));
    const uploader = createUploader({ spool, copy: (_to, paths) => Promise.resolve(void copied.push(paths)), to: "file:///nowhere", maxAttempts: 1, parallel: 1, batchSize: 50, backoffMs: 10, logger });
    await uploader.drainAll();
    expect(readdirSync(folder)).toContain(name);

    const elevenMinutesAgo = (Date.now() - 11 * 60_000) / 1000;
    utimesSync(join(folder, name), elevenMinutesAgo, elevenMinutesAgo);
    await uploader.drainAll();
    expect({ copied, dead: spool.dead() }).toEqual({ copied: [], dead: [name] });
    expect(lines.join("")).toContain("its post-build-hook never finished writing the spool entry");
  });
});
