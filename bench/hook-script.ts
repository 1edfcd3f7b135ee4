/**
 * The post-build-hook alone, as Nix runs it after every derivation: Petrel's
 * script on a .drv of 4 KB, 64 KB and 256 KB with OUT_PATHS empty (as Nix
 * 2.8 leaves it) and with OUT_PATHS set, against a hook that only exits —
 * the floor — in the same run. No daemon: the .drv is written here.
 *
 *   npm run bench:hookscript        (BENCH_RUNS=50 per case)
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hookScript } from "../src/upload/hook-script.js";

const runs = Number(process.env.BENCH_RUNS ?? 50);
const dir = mkdtempSync(join(tmpdir(), "petrel-bench-hook-"));
try {
  const [spool, gcroots] = [join(dir, "spool"), join(dir, "gcroots")];
  mkdirSync(spool);
  mkdirSync(gcroots);
  const petrelHook = join(dir, "petrel-hook");
  writeFileSync(petrelHook, hookScript({ spool, gcroots, nixStore: "/bin/false" }));
  const floor = join(dir, "exit-0");
  writeFileSync(floor, "#!/bin/sh\nexit 0\n");
  for (const file of [petrelHook, floor]) chmodSync(file, 0o755);

  const outputs = ["out", "dev", "doc"].map((name) => [name, `/nix/store/${"a".repeat(32)}-bench-1.0${name === "out" ? "" : `-${name}`}`] as const);
  /** A .drv of about `size` bytes: its outputs first, as Nix writes them, then inputs to pad it. */
  const drvOf = (size: number) => {
    const head = `Derive([${outputs.map(([name, path]) => `("${name}","${path}","","")`).join(",")}],[`;
    const input = `("/nix/store/${"b".repeat(32)}-input.drv",["out"]),`;
    return `${head}${input.repeat(Math.max(0, Math.floor((size - head.length) / input.length)))}],[],"x86_64-linux","/bin/sh",[],[])`;
  };

  const median = (hook: string, env: Record<string, string>) => {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      execFileSync(hook, { env });
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  };

  console.log(`post-build-hook alone, median of ${runs} runs, ms (a process start from Node included in every figure)`);
  for (const size of [4 << 10, 64 << 10, 256 << 10]) {
    const drv = join(dir, `${size}-bench.drv`);
    writeFileSync(drv, drvOf(size));
    const base = median(floor, { DRV_PATH: drv, OUT_PATHS: "" });
    const empty = median(petrelHook, { DRV_PATH: drv, OUT_PATHS: "" });
    const given = median(petrelHook, { DRV_PATH: drv, OUT_PATHS: outputs.map(([, path]) => path).join(" ") });
    console.log(
      `${String(size >> 10).padStart(4)} KB .drv  exit 0 ${base.toFixed(2).padStart(6)} | petrel, OUT_PATHS empty ${empty.toFixed(2).padStart(6)} (×${(empty / base).toFixed(2)})` +
        ` | petrel, OUT_PATHS set ${given.toFixed(2).padStart(6)} (×${(given / base).toFixed(2)})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
