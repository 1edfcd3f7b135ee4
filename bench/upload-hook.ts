/**
 * What the post-build-hook costs the builds, through the real nix-daemon:
 * N small derivations built (a) with no hook, (b) with a hook that only
 * exits — the floor of the mechanism, since Nix waits for the hook after
 * every derivation —, (c) with Petrel's enqueueing hook while `petrel upload`
 * drains to a file:// cache, (d) with the Nix manual's synchronous
 * sign-and-copy hook. Also: the delay from the last build to a complete cache
 * in (c), and the drain throughput of `petrel upload --once` over N queued
 * derivations.
 *
 *   npm run bench:upload        (as root; BENCH_DERIVATIONS=200, BENCH_ROUNDS=3)
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startNixDaemon } from "../test/cluster/nix.js";
import { spawnDaemon, stopDaemon } from "../test/cluster/processes.js";
import { createRunDir, type RunDir } from "../test/cluster/run-dir.js";
import { waitUntil } from "../test/cluster/wait.js";
import { median } from "./stats.js";

const run = promisify(execFile);
const count = Number(process.env.BENCH_DERIVATIONS ?? 200);
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const petrel = [process.execPath, "--import", "tsx", cli, "upload"];

/** N independent derivations with names of this run's own, so the daemon builds each one. */
const expression = (tag: string) =>
  `builtins.genList (i: derivation { name = "bench-${tag}-\${toString i}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo \${toString i} > $out" ]; }) ${count}`;

async function timedBuild(dir: RunDir, conf: string, tag: string): Promise<number> {
  const daemon = await startNixDaemon(dir, conf);
  try {
    const started = performance.now();
    await run("nix-build", ["--no-out-link", "-E", expression(tag)], { env: { ...process.env, ...daemon.clientEnv }, maxBuffer: 64 << 20 });
    return performance.now() - started;
  } finally {
    await daemon.stop();
  }
}

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\nset -eu\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** CPU ms of a process, and of the children it has waited for, from /proc (in clock ticks of 10 ms). */
function cpuMs(pid: number): { own: number; children: number } {
  // From the state (the 3rd field) on: utime and stime are the 14th and 15th, cutime and cstime the 16th and 17th.
  const ticks = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ").slice(11, 15).map(Number) as [number, number, number, number];
  return { own: (ticks[0] + ticks[1]) * 10, children: (ticks[2] + ticks[3]) * 10 };
}

const queued = (spool: string) => readdirSync(spool).filter((name) => !name.startsWith(".")).length;

async function untilEmpty(spool: string): Promise<number> {
  const started = performance.now();
  while (queued(spool) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return performance.now() - started;
}

const runDir = createRunDir("petrel-bench-upload-");
const gcroots = mkdtempSync("/nix/var/nix/gcroots/petrel-bench-");
const tag = `${Date.now()}`;
const keys = runDir.sub("keys");
await run("nix-store", ["--generate-binary-cache-key", "petrel-bench-1", join(keys, "secret"), join(keys, "public")]);
const signing = `secret-key-files = ${join(keys, "secret")}\n`;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
try {
  // A warm-up build, so the first measured case doesn't pay for cold caches.
  await timedBuild(runDir, "", `warm-${tag}`);
  const spool = join(runDir.path, "spool");
  const hook = join(runDir.path, "petrel-hook");
  await run(petrel[0]!, [...petrel.slice(1), "--install-hook", hook, "--spool", spool, "--gcroots", gcroots]);
  const exit0Hook = script(join(runDir.path, "exit0"), "exit 0");

  // The cases take turns, round after round, so a slow moment of a shared machine spreads over all of them.
  const samples = { none: [] as number[], exit0: [] as number[], withPetrel: [] as number[], cacheDelay: [] as number[], hookAlone: [] as number[], drain: [] as number[], uploaderCpu: [] as number[], nixCopyCpu: [] as number[] };
  let backlog = 0;
  for (let round = 0; round < rounds; round++) {
    samples.none.push(await timedBuild(runDir, signing, `a${round}-${tag}`));
    samples.exit0.push(await timedBuild(runDir, `${signing}post-build-hook = ${exit0Hook}\n`, `b${round}-${tag}`));

    const uploader = spawnDaemon("petrel-upload", petrel[0]!, [...petrel.slice(1), "--to", `file://${join(runDir.path, "cache-c")}`, "--spool", spool, "--gcroots", gcroots, "--poll-ms", "100"], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH },
      logFile: join(runDir.path, `upload-${round}.log`),
    });
    // A running uploader is what the builds share the node with, not its start (tsx compiling Petrel).
    await waitUntil("petrel upload to start", () => Promise.resolve(readFileSync(uploader.logFile!, "utf8").includes("upload: started") ? true : undefined), { intervalMs: 20 });
    const cpuAtStart = cpuMs(uploader.pid);
    samples.withPetrel.push(await timedBuild(runDir, `${signing}post-build-hook = ${hook}\n`, `c${round}-${tag}`));
    samples.cacheDelay.push(await untilEmpty(spool));
    const cpu = cpuMs(uploader.pid);
    samples.uploaderCpu.push(cpu.own - cpuAtStart.own);
    samples.nixCopyCpu.push(cpu.children - cpuAtStart.children);
    await stopDaemon(uploader);

    // The hook alone, then the drain of what it queued: N derivations, one `--once`.
    samples.hookAlone.push(await timedBuild(runDir, `${signing}post-build-hook = ${hook}\n`, `e${round}-${tag}`));
    backlog = queued(spool);
    const drainStart = performance.now();
    await run(petrel[0]!, [...petrel.slice(1), "--to", `file://${join(runDir.path, "cache-e")}`, "--spool", spool, "--gcroots", gcroots, "--once"]);
    samples.drain.push(performance.now() - drainStart);
  }
  const [none, exit0, withPetrel, hookAlone, cacheDelay, drain, uploaderCpu, nixCopyCpu] = [samples.none, samples.exit0, samples.withPetrel, samples.hookAlone, samples.cacheDelay, samples.drain, samples.uploaderCpu, samples.nixCopyCpu].map(median) as [number, number, number, number, number, number, number, number];

  const manual = script(
    join(runDir.path, "manual"),
    // The Nix manual's example, with the outputs taken from DRV_PATH: Nix 2.8 sends OUT_PATHS empty.
    `outs=$(/usr/bin/nix-store --query --outputs "$DRV_PATH")\n/usr/bin/nix store sign --extra-experimental-features nix-command --key-file ${join(keys, "secret")} $outs\nexec /usr/bin/nix copy --extra-experimental-features nix-command --option substituters "" --to file://${join(runDir.path, "cache-d")} $outs`,
  );
  const synchronous = await timedBuild(runDir, `post-build-hook = ${manual}\n`, `d-${tag}`);

  const row = (name: string, ms: number, base: number, floor: number) =>
    console.log(`${name.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s  ×${(ms / base).toFixed(2)} no hook  ×${(ms / floor).toFixed(2)} exit-0 hook`);
  console.log(`${count} derivations through the real nix-daemon (Nix ${(await run("nix-store", ["--version"])).stdout.trim().split(" ").pop()}), medians of ${rounds} interleaved rounds ((d): one)`);
  row("(a) no hook (baseline)", none, none, exit0);
  row("(b) hook that only exits 0 (floor)", exit0, none, exit0);
  row("(c) Petrel's hook, petrel upload draining", withPetrel, none, exit0);
  row("    Petrel's hook, no uploader running", hookAlone, none, exit0);
  row("(d) Nix manual's sign-and-copy hook", synchronous, none, exit0);
  console.log(`(c) last build to complete cache: ${(cacheDelay / 1000).toFixed(2)} s; CPU meanwhile: petrel upload ${(uploaderCpu / 1000).toFixed(2)} s, its nix copy processes ${(nixCopyCpu / 1000).toFixed(2)} s`);
  console.log(`petrel upload --once, ${backlog} queued derivations: ${(drain / 1000).toFixed(2)} s, ${(backlog / (drain / 1000)).toFixed(0)} paths/s (process start included)`);
} finally {
  await run("rm", ["-rf", gcroots]);
  await runDir.remove();
}
