import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Nomad } from "../../src/nomad/client.js";

export const builderHclPath = fileURLToPath(new URL("../../hcl/builder.hcl", import.meta.url));

/**
 * Registers hcl/builder.hcl as the dev and test clusters run it: raw_exec,
 * because their Nomad agent is not root and can't isolate tasks.
 */
export async function registerBuilder(nomad: Nomad, { id, unplaceable = false }: BuilderOptions = {}): Promise<string> {
  const job = await nomad.jobs.parse(readFileSync(builderHclPath, "utf8"), { driver: "raw_exec", cpu: 200, memory: 256 });
  if (id !== undefined) Object.assign(job, { ID: id, Name: id });
  // Children of an unplaceable builder stay pending: they exist for Nomad, but never take the CPU.
  if (unplaceable) Object.assign(job, { Constraints: [{ LTarget: "${node.class}", RTarget: "petrel-nowhere", Operand: "=" }] });
  await nomad.jobs.register(job);
  return job.ID;
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
