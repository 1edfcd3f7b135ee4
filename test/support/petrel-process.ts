import { inject } from "vitest";
import { spawnPetrelServe, type PetrelServe } from "../cluster/petrel-serve.js";
import "../cluster/provided.js";

export type PetrelProcess = PetrelServe;

/** `petrel serve` as its own process against the test cluster, with only PATH and `env` besides. */
export function startPetrelProcess(logDir: string, env: Record<string, string> = {}): Promise<PetrelProcess> {
  const { nomadAddr, consulAddr } = inject("cluster");
  return spawnPetrelServe({ nomadAddr, consulAddr, logDir, env: { PATH: process.env.PATH, PETREL_KV_PREFIX: "petrel-test", ...env } });
}
