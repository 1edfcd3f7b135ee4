import { spawnPetrelServe, type PetrelServe } from "../test/cluster/petrel-serve.js";

/**
 * `petrel serve` as a benchmark runs it: its own process on the cluster,
 * logging warnings only; BENCH_PROFILE=<dir> writes a CPU profile there.
 */
export function spawnBenchPetrel(cluster: { nomadAddr: string; consulAddr: string; runDir: string }): Promise<PetrelServe> {
  return spawnPetrelServe({
    nomadAddr: cluster.nomadAddr,
    consulAddr: cluster.consulAddr,
    logDir: cluster.runDir,
    env: { ...process.env, PETREL_LOG_LEVEL: "warn" },
    nodeArgs: process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
  });
}
