import { execFile } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNixDaemon, type RunningNixDaemon } from "../cluster/nix.js";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { createNodeCache, type NodeCache } from "../support/nix-cache.js";
import { derivationsOf, graphExpression, nixBuild } from "../support/nix-graph.js";

let runDir: RunDir;
let node: NodeCache;
let daemon: RunningNixDaemon;

beforeAll(async () => {
  runDir = createRunDir("petrel-upload-hook-");
  node = await createNodeCache(runDir.path);
  // nix-store is /bin/false here: the hook must find the outputs of Nix 2.8's real .drv files by itself.
  const hook = await node.installHook(join(runDir.path, "post-build-hook"), "--nix-store", "/bin/false");
  daemon = await startNixDaemon(runDir, `post-build-hook = ${hook}\n`);
});
afterAll(async () => {
  await daemon?.stop();
  node?.remove();
  expect(await runDir.remove()).toEqual([]);
});

/** The spool's whole entries: entry name → its .drv, then its outputs. */
function spoolEntries(): Map<string, string[]> {
  return new Map(
    node.queued().map((name) => {
      const lines = readFileSync(join(node.spool, name), "utf8").split("\n");
      expect(lines.slice(-2)).toEqual(["end", ""]);
      return [name, lines.slice(0, -2).map((line) => line.replace(/^(drv|out) /, ""))];
    }),
  );
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
        // An empty file named after the output, which Nix's GC takes for a root of it.
        expect(lstatSync(join(node.uploadRoots, output.split("/").pop()!))).toMatchObject({ size: 0 });
        expect(lstatSync(join(node.uploadRoots, output.split("/").pop()!)).isFile()).toBe(true);
        const { stdout } = await promisify(execFile)("nix-store", ["--query", "--roots", output]);
        expect(stdout).toContain(join(node.uploadRoots, output.split("/").pop()!));
      }
    }
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
