import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A small derivation graph that needs no nixpkgs: two leaves, one with two
 * outputs, and a top that uses both — and fails when asked, so the
 * intermediates are built and the top is not. Names carry `tag` so the
 * daemon really builds them rather than finding them in the store.
 */
export function graphExpression(tag: string, { failTop = false } = {}): string {
  const drv = (name: string, script: string, outputs = '[ "out" ]') =>
    `derivation { name = "petrel-${name}-${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; outputs = ${outputs}; args = [ "-c" "${script}" ]; }`;
  return `let
    leaf = ${drv("leaf", "echo leaf > $out")};
    multi = ${drv("multi", "echo bin > $out; echo doc > $doc", '[ "out" "doc" ]')};
  in ${drv("top", `/bin/cat \${leaf} \${multi.doc} > $out${failTop ? "; exit 1" : ""}`)}`;
}

export type NixEnv = Record<string, string | undefined>;

/** Every derivation of the graph (top first is not promised), each with its outputs. */
export async function derivationsOf(expression: string, env: NixEnv): Promise<Map<string, string[]>> {
  // Rooted while it is read: a garbage collection elsewhere (petrel gc's test) may run meanwhile.
  const folder = mkdtempSync(join(tmpdir(), "petrel-drv-root-"));
  try {
    const top = (await run("nix-instantiate", ["--add-root", join(folder, "top"), "--indirect", "-E", expression], { env })).stdout.trim();
    const requisites = (await run("nix-store", ["--query", "--requisites", top], { env })).stdout.split("\n").filter((path) => path.endsWith(".drv"));
    const entries = await Promise.all(
      requisites.map(async (drv) => [drv, (await run("nix-store", ["--query", "--outputs", drv], { env })).stdout.trim().split("\n").sort()] as const),
    );
    return new Map(entries);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** nix-build through the daemon; a failed build resolves too, with its exit code. */
export async function nixBuild(expression: string, env: NixEnv): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run("nix-build", ["--no-out-link", "-E", expression], { env });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? "" };
  }
}
