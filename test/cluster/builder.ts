import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Nomad } from "../../src/nomad/client.js";
import { agentUser } from "./run-dir.js";

export const builderHclPath = fileURLToPath(new URL("../../hcl/builder.hcl", import.meta.url));

/** `petrel exec` straight from this checkout's sources, as the agents' user may run it from any folder. */
export const petrelCommand = [process.execPath, "--import", import.meta.resolve("tsx"), fileURLToPath(new URL("../../src/cli.ts", import.meta.url))];

/**
 * Registers hcl/builder.hcl as the dev and test clusters run it: raw_exec,
 * because their Nomad agent is not root and can't isolate tasks, with
 * Petrel from this checkout and one git mirror cache for every test run on
 * the machine (as a node's is for its builds).
 */
export async function registerBuilder(nomad: Nomad, { id, unplaceable = false }: BuilderOptions = {}): Promise<string> {
  const job = await parseBuilder(nomad, id, {
    driver: "raw_exec",
    git_cache: agentFolder("petrel-test-git-cache"),
    gcroots: agentFolder("petrel-test-gcroots"),
  });
  // Children of an unplaceable builder stay pending: they exist for Nomad, but never take the CPU.
  if (unplaceable) Object.assign(job, { Constraints: [{ LTarget: "${node.class}", RTarget: "petrel-nowhere", Operand: "=" }] });
  await nomad.jobs.register(job);
  return job.ID;
}

/**
 * Who the isolated builders' checkout task runs as: a system user every
 * Debian machine has, standing in for a node's `petrel-git`, and not the
 * builds' `nobody`.
 */
export const checkoutUser = "daemon";

/** `path` and what it holds, given to the checkout task's user: its git cache, as on a node, or a repository it fetches by path. */
export function giveToCheckoutUser(path: string): string {
  execFileSync("chown", ["-R", `${checkoutUser}:`, path]);
  return path;
}

/**
 * Registers hcl/builder.hcl as production runs it, on an isolated test Nomad
 * (root, exec driver, hcl/nomad-client.hcl): Petrel from this checkout, which
 * the node's `petrel` volume mounts at the same path, and the checkout task
 * as `checkoutUser`.
 */
export async function registerIsolatedBuilder(nomad: Nomad, id: string, variables: Record<string, unknown>): Promise<string> {
  const job = await parseBuilder(nomad, id, {
    volumes: { nix: { path: "/nix", read_only: true }, petrel: { path: checkout, read_only: true } },
    checkout_user: checkoutUser,
    ...variables,
  });
  await nomad.jobs.register(job);
  return job.ID;
}

/** The checkout holding this harness: src/, node_modules/ and hcl/. */
export const checkout = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

async function parseBuilder(nomad: Nomad, id: string | undefined, variables: Record<string, unknown>) {
  const job = await nomad.jobs.parse(readFileSync(builderHclPath, "utf8"), { cpu: 200, memory: 256, petrel_command: petrelCommand, ...variables });
  if (id !== undefined) Object.assign(job, { ID: id, Name: id });
  return job;
}

export type BuilderOptions = {
  /** Another job id than the file's `builder`, so a test file counts only its own children. */
  id?: string;
  unplaceable?: boolean;
};

/** The dispatched children of a builder, each with its meta. */
export async function childrenOf(nomad: Nomad, builder: string): Promise<{ id: string; meta: Record<string, string> }[]> {
  const stubs = await nomad.jobs.list(`${builder}/dispatch-`);
  return Promise.all(stubs.map(async (stub) => ({ id: stub.ID, meta: (await nomad.jobs.get(stub.ID)).Meta ?? {} })));
}

function agentFolder(name: string): string {
  const path = join(tmpdir(), name);
  mkdirSync(path, { recursive: true, mode: 0o755 });
  const user = agentUser();
  if (user) chownSync(path, user.uid, user.gid);
  return path;
}
