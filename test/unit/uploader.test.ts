import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { openSpool } from "../../src/upload/spool.js";
import { createUploader } from "../../src/upload/uploader.js";
import { tempFolder } from "../support/temp-folder.js";

const quiet = createLogger("error", new Writable({ write: (_chunk, _encoding, done) => done() }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A spool in a fresh folder, and a way to queue a derivation as the hook does. */
function spoolFolder() {
  const dir = tempFolder("petrel-spool-");
  const [folder, roots] = [join(dir, "spool"), join(dir, "roots")];
  mkdirSync(folder);
  mkdirSync(roots);
  const spool = openSpool(folder, roots);
  const enqueue = (n: number) => writeFileSync(join(folder, `${String(n).padStart(32, "0")}-d.drv`), `drv /nix/store/${String(n).padStart(32, "0")}-d.drv\nout /nix/store/${String(n).padStart(32, "0")}-d\nend\n`);
  return { folder, spool, enqueue };
}

describe("the uploader while builds still queue paths", () => {
  it("waits for the spool to settle, then copies what came in one batch", async () => {
    const { spool, enqueue } = spoolFolder();
    const copies: string[][] = [];
    // Reading every entry at each look cost the builds CPU: until the spool settles, only its size is looked at.
    let reads = 0;
    const uploader = createUploader({
      spool: { ...spool, list: () => (reads++, spool.list()) },
      copy: (_to, paths) => Promise.resolve(void copies.push(paths)),
      to: "file:///nowhere",
      maxAttempts: 3,
      parallel: 2,
      batchSize: 50,
      backoffMs: 10,
      logger: quiet,
    });
    const stop = new AbortController();
    const running = uploader.run(stop.signal, 10, 1_000);
    for (let n = 1; n <= 5; n++) {
      enqueue(n);
      await sleep(50);
    }
    expect(copies).toEqual([]);
    expect(reads).toBe(0);
    await sleep(1_500);
    stop.abort();
    await running;
    expect(copies.map((paths) => paths.length)).toEqual([5]);
    expect(spool.list()).toEqual([]);
  });

  it("copies a full batch at once, without waiting for the spool to settle", async () => {
    const { spool, enqueue } = spoolFolder();
    const copies: string[][] = [];
    const uploader = createUploader({ spool, copy: (_to, paths) => Promise.resolve(void copies.push(paths)), to: "file:///nowhere", maxAttempts: 3, parallel: 1, batchSize: 3, backoffMs: 10, logger: quiet });
    const stop = new AbortController();
    const running = uploader.run(stop.signal, 10, 60_000);
    for (let n = 1; n <= 3; n++) enqueue(n);
    await sleep(200);
    stop.abort();
    await running;
    expect(copies.map((paths) => paths.length)).toEqual([3]);
  });
});

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
