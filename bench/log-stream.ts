/**
 * A 100 MB build log read through Petrel's `GET /build?job=…&log=stdout`
 * against the same log read straight from Nomad's logs API (`plain=true`), in
 * one run on one cluster, and how much Petrel's resident memory grows while it
 * streams. hcl/builder.hcl keeps 5 × 50 MB of log on a 2 GB ephemeral disk,
 * more than Nomad's default 10 × 10 MB, so the whole log is still there.
 *
 *   npm run bench:logs        (BENCH_ROUNDS, default 5; BENCH_LOG_MB, default 100; BENCH_PROFILE=<dir> for a CPU profile of Petrel)
 */
import { spawnBenchPetrel } from "./bench-petrel.js";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { readConfig } from "../src/config.js";
import { createNomad } from "../src/nomad/client.js";
import { registerBuilder } from "../test/cluster/builder.js";
import { startCluster } from "../test/cluster/cluster.js";
import { finishedAllocation } from "../test/support/allocations.js";
import { createLocalRepo } from "../test/support/local-repo.js";
import { median } from "./stats.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const logBytes = Number(process.env.BENCH_LOG_MB ?? 100) * 1024 * 1024;

const cluster = await startCluster();
try {
  const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr });
  const nomad = createNomad(config.nomad);
  const builder = await registerBuilder(nomad);
  const repo = createLocalRepo(cluster.runDir, {
    ".albatros": { executable: true, content: `#!/bin/sh\nyes 'petrel bench log line: 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c ${logBytes}\n` },
  });
  const { DispatchedJobID: job } = await nomad.jobs.dispatch(builder, { meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: repo.branch, FLAVOR: "default" } });
  const alloc = await finishedAllocation(nomad, job, { timeoutMs: 300_000 });
  if (alloc.ClientStatus !== "complete") throw new Error(`the log-writing build ended ${alloc.ClientStatus}`);

  const petrel = await spawnBenchPetrel(cluster);
  const petrelUrl = petrel.url;
  try {
    const direct = `${cluster.nomadAddr}/v1/client/fs/logs/${alloc.ID}?task=executor&type=stdout&origin=start&offset=0&plain=true`;
    const throughPetrel = `${petrelUrl}/build?job=${encodeURIComponent(job)}&log=stdout`;

    // Warm both paths (connections, JIT, the node's page cache) before measuring.
    await read(direct);
    await read(throughPetrel);
    const rssBefore = rssOf(petrel.daemon.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(petrel.daemon.pid))), 20);

    const nomadRates: number[] = [];
    const petrelRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      nomadRates.push(await read(direct));
      petrelRates.push(await read(throughPetrel));
    }
    clearInterval(sampler);
    const [base, viaPetrel] = [median(nomadRates), median(petrelRates)];
    console.log(`${(logBytes / 1048576).toFixed(0)} MB task log, stdout, finished task, medians of ${rounds}`);
    console.log(`nomad logs API (plain=true)  ${mbps(base)}`);
    console.log(`petrel /build?log=stdout     ${mbps(viaPetrel)}  throughput ×${(viaPetrel / base).toFixed(2)} (goal ≥ 0.9)`);
    console.log(`petrel RSS ${mb(rssBefore)} before, ${mb(rssPeak)} peak while streaming: +${mb(rssPeak - rssBefore)} (goal < 30 MB)`);
  } finally {
    await petrel.stop();
  }
} finally {
  await cluster.stop();
}

/**
 * Reads a whole answer without keeping it; answers bytes per second and checks
 * the length. Plain node:http, so the reader's own cost per chunk (fetch's web
 * streams cost more) doesn't hide the difference between the two paths.
 */
function read(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url} answered ${response.statusCode}`));
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("error", reject);
      response.on("end", () => {
        if (bytes !== logBytes) reject(new Error(`${url} gave ${bytes} bytes, not ${logBytes}`));
        else resolve(bytes / ((performance.now() - started) / 1000));
      });
    }).on("error", reject);
  });
}

function rssOf(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(line?.[1] ?? 0) * 1024;
}

function mbps(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1048576).toFixed(0).padStart(5)} MB/s`;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
