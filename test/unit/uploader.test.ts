import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { openSpool } from "../../src/upload/spool.js";
import { createUploader } from "../../src/upload/uploader.js";

const quiet = createLogger("error", new Writable({ write: (_chunk, _encoding, done) => done() }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A spool in a fresh folder, and a way to queue a derivation as the hook does. */
function spoolFolder() {
  const dir = mkdtempSync(join(tmpdir(), "petrel-spool-"));
  made.push(dir);
  const roots = join(dir, "roots");
  mkdirSync(roots);
  const spool = openSpool(join(dir, "spool"), roots);
  const enqueue = (n: number) => writeFileSync(join(dir, "spool", `${String(n).padStart(32, "0")}-d.drv`), `drv /nix/store/${String(n).padStart(32, "0")}-d.drv\nout /nix/store/${String(n).padStart(32, "0")}-d\nend\n`);
  return { spool, enqueue };
}

describe("the uploader while builds still queue paths", () => {
  it("waits for the spool to settle, then copies what came in one batch", async () => {
    const { spool, enqueue } = spoolFolder();
    const copies: string[][] = [];
    const uploader = createUploader({
      spool,
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
