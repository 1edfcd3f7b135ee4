import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
let runDir: RunDir;
let daemon: RunningNixDaemon;
let spool: string;
let gcroots: string;

beforeAll(async () => {
  runDir = createRunDir("petrel-upload-hook-");
  spool = join(runDir.path, "spool");
  // Under the store's gcroots folder, so the roots are real ones.
  gcroots = mkdtempSync("/nix/var/nix/gcroots/petrel-test-");
  const hook = join(runDir.path, "post-build-hook");
  // nix-store is /bin/false here: the hook must find the outputs of Nix 2.8's real .drv files by itself.
  await run(process.execPath, ["--import", "tsx", cli, "upload", "--install-hook", hook, "--spool", spool, "--gcroots", gcroots, "--nix-store", "/bin/false"]);
  daemon = await startNixDaemon(runDir, `post-build-hook = ${hook}\n`);
});
afterAll(async () => {
  await daemon?.stop();
  rmSync(gcroots, { recursive: true, force: true });
  expect(await runDir.remove()).toEqual([]);
});

/** The spool as the uploader will read it: entry name → its lines. */
function spoolEntries(): Map<string, string[]> {
  return new Map(readdirSync(spool).filter((name) => !name.startsWith(".")).map((name) => [name, readFileSync(join(spool, name), "utf8").trim().split("\n")]));
}

describe("the post-build-hook of `petrel upload --install-hook`", () => {
  it("enqueues every derivation the daemon builds, with its outputs, and roots each output", async () => {
    const expression = graphExpression(`ok-${Date.now()}`);
    const env = { ...process.env, ...daemon.clientEnv };
    const graph = await derivationsOf(expression, env);
    expect(graph.size).toBe(3);
    expect(await nixBuild(expression, env)).toMatchObject({ code: 0 });

    const entries = spoolEntries();
    for (const [drv, outputs] of graph) {
      const [queuedDrv, ...queuedOutputs] = entries.get(drv.split("/").pop()!) ?? [];
      expect({ drv: queuedDrv, outputs: queuedOutputs.sort() }).toEqual({ drv, outputs });
      for (const output of outputs) {
        expect(readlinkSync(join(gcroots, output.split("/").pop()!))).toBe(output);
        const { stdout } = await run("nix-store", ["--query", "--roots", output]);
        expect(stdout).toContain(join(gcroots, output.split("/").pop()!));
      }
    }
    expect(readdirSync(join(spool, ".tmp"))).toEqual([]);
  });

  it("enqueues the intermediates of a build whose top derivation fails, and not the failed one", async () => {
    const expression = graphExpression(`fail-${Date.now()}`, { failTop: true });
    const env = { ...process.env, ...daemon.clientEnv };
    const graph = await derivationsOf(expression, env);
    const top = [...graph.keys()].find((drv) => drv.includes("-petrel-top-"))!;
    expect((await nixBuild(expression, env)).code).not.toBe(0);

    const entries = spoolEntries();
    for (const drv of graph.keys()) {
      expect(entries.has(drv.split("/").pop()!), drv).toBe(drv !== top);
    }
  });
});
