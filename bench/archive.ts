/**
 * The build archive on a real S3 server (SeaweedFS), each figure beside a
 * floor from the same run:
 * - what a build with a 1 MB log costs the archive, against the log's size;
 * - task end → archived, against task end → its final state claimed in Consul
 *   (the claim the archiving follows);
 * - GET /builds (a page of 20) and GET /badge with BENCH_ARCHIVED builds in
 *   the archive, against one S3 listing of that page's index entries.
 *
 *   npm run bench:archive        (BENCH_ROUNDS, default 5; BENCH_ARCHIVED, default 10000)
 */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { buildFolder } from "../src/archive/build-archive.js";
import { openArchive } from "../src/archive/open-archive.js";
import { historyFolder } from "../src/archive/history.js";
import type { BuildStatus } from "../src/builds/build-status.js";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { consulKeys } from "../src/consul/keys.js";
import { writeRepoConfig } from "../src/consul/repo-config.js";
import { createNomad } from "../src/nomad/client.js";
import { registerBuilder } from "../test/cluster/builder.js";
import { startCluster } from "../test/cluster/cluster.js";
import { spawnPetrelServe } from "../test/cluster/petrel-serve.js";
import { createRunDir } from "../test/cluster/run-dir.js";
import { startS3 } from "../test/cluster/s3.js";
import { waitUntil } from "../test/cluster/wait.js";
import { finishedAllocation } from "../test/support/allocations.js";
import { createLocalRepo } from "../test/support/local-repo.js";
import { median, percentile } from "./stats.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const archivedBuilds = Number(process.env.BENCH_ARCHIVED ?? 10_000);
const prefix = "petrel-bench-archive";
const bucket = "bench";
const logBytes = 1024 * 1024;
/** A compiler's kind of log: lines alike but for their numbers. */
const script = `seq 1 100000 | awk '{ printf "[%3d%%] Building C object src/CMakeFiles/widget.dir/module_%d.c.o (%d ms)\\n", $1 % 100, $1, ($1 * 7919) % 1000 }' | head -c ${logBytes}`;

const run = createRunDir("petrel-bench-archive-");
const [cluster, s3] = await Promise.all([startCluster(), startS3(run, { buckets: [bucket] })]);
try {
  const archiveEnv = {
    PETREL_ARCHIVE: `s3://${bucket}/petrel`,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
  const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr, PETREL_KV_PREFIX: prefix, ...archiveEnv });
  const [nomad, consul, archive] = [createNomad(config.nomad), createConsul(config.consul), await openArchive(config.archive!)];
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const list = async (under: string, limit?: number) =>
    (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `petrel/${under}`, ...(limit ? { MaxKeys: limit } : {}) }))).Contents ?? [];

  const builder = await registerBuilder(nomad, { id: "archive-bench" });
  const repo = createLocalRepo(cluster.runDir, { ".albatros": { executable: true, content: `#!/bin/sh\n${script}\n` } });
  await writeRepoConfig(consul, prefix, repo.url, { hook: { secret: "bench-archive-secret-1f0e3dad" }, builder });
  const petrel = await spawnPetrelServe({ nomadAddr: cluster.nomadAddr, consulAddr: cluster.consulAddr, logDir: run.path, env: { ...process.env, PETREL_LOG_LEVEL: "warn", PETREL_KV_PREFIX: prefix, ...archiveEnv } });
  try {
    const [claimed, archived, bytes] = [[] as number[], [] as number[], [] as number[]];
    for (let round = 0; round < rounds; round += 1) {
      const { DispatchedJobID: job } = await nomad.jobs.dispatch(builder, {
        meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: repo.branch, FLAVOR: "default", FORGE: "gitea", FORGE_REPO: "bench/widget", SENDER: "bench" },
      });
      const alloc = await finishedAllocation(nomad, job);
      const ended = Date.parse(alloc.TaskStates!.executor!.FinishedAt!);
      const key = consulKeys.reported(prefix, job);
      const [claimedAt, archivedAt] = await Promise.all([
        waitUntil("the final state claimed", async () => (/"state":"success"/.test((await consul.kv.get(key))?.Value ?? "") ? Date.now() : undefined), { intervalMs: 5 }),
        waitUntil("the build archived", async () => ((await archive.record(job)) ? Date.now() : undefined), { intervalMs: 5 }),
      ]);
      claimed.push(claimedAt - ended);
      archived.push(archivedAt - ended);
      bytes.push((await list(`${buildFolder(job)}/`)).reduce((sum, object) => sum + (object.Size ?? 0), 0));
    }

    // The history: BENCH_ARCHIVED builds of one repository, four in five on main, written as Petrel writes them.
    const started = performance.now();
    let next = 0;
    const seconds = 1_790_000_000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let n = next++; n < archivedBuilds; n = next++) {
          const status = {
            job: `archive-bench/dispatch-${seconds + n}-${n.toString(16).padStart(8, "0")}`,
            builder: "archive-bench",
            state: n % 7 === 0 ? "failure" : "success",
            description: "exit code 0",
            finished: true,
            task: "executor",
            tasks: {},
            submittedAt: new Date((seconds + n) * 1000).toISOString(),
            durationSeconds: 42,
            meta: { REPO_URL: "https://git.example.org/bench/history.git", FORGE_REPO: "bench/history", BRANCH: n % 5 === 0 ? `feature-${n % 40}` : "main", COMMIT: n.toString(16).padStart(40, "0"), FLAVOR: "default", SENDER: "bench" },
          } as unknown as BuildStatus;
          await archive.save({ status, archivedAt: new Date().toISOString(), logs: [] }, new Map());
        }
      }),
    );
    const filled = (performance.now() - started) / 1000;

    const time = async (work: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 50; i += 1) {
        const at = performance.now();
        await work();
        samples.push(performance.now() - at);
      }
      return { p50: median(samples), p90: percentile(samples, 0.9) };
    };
    const get = (path: string) => async () => {
      const answer = await fetch(`${petrel.url}${path}`, { headers: { accept: "application/json" } });
      if (!answer.ok) throw new Error(`${path} answered ${answer.status}`);
      await answer.arrayBuffer();
    };
    const page = `/builds?repo=bench/history&branch=main&limit=20`;
    const { next: cursor } = (await (await fetch(`${petrel.url}${page}`, { headers: { accept: "application/json" } })).json()) as { next: string };
    const floor = await time(() => list(historyFolder("bench/history", { branch: "main" }), 20));
    const rows = [
      ["one S3 listing of 20 index entries (floor)", floor],
      ["GET /builds, branch main, first page of 20", await time(get(page))],
      ["GET /builds, the page after it (archive only)", await time(get(`${page}&after=${encodeURIComponent(cursor)}`))],
      ["GET /builds, all branches, first page of 20", await time(get(`/builds?repo=bench/history&limit=20`))],
      ["GET /badge, branch main", await time(get(`/badge?repo=bench/history&branch=main`))],
    ] as const;

    const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
    console.log(`Build archive on SeaweedFS ${s3.version} (S3), ${rounds} builds with a 1 MB log, medians`);
    console.log(`archive bytes per build, 1 MB log     ${String(median(bytes)).padStart(9)} B   ×${(median(bytes) / logBytes).toFixed(3)} of the log`);
    console.log(`task end → final state claimed       ${ms(median(claimed))}   (floor)`);
    console.log(`task end → archived                  ${ms(median(archived))}   ×${(median(archived) / median(claimed)).toFixed(2)}`);
    console.log(`\n${archivedBuilds} builds archived in ${filled.toFixed(1)} s (${(archivedBuilds / filled).toFixed(0)} builds/s, 32 at once); 50 requests each`);
    for (const [name, result] of rows) console.log(`${name.padEnd(48)} p50 ${ms(result.p50)}  p90 ${ms(result.p90)}  ×${(result.p50 / floor.p50).toFixed(2)}`);
  } finally {
    client.destroy();
    await petrel.stop();
  }
} finally {
  await s3.stop();
  await cluster.stop();
  await run.remove();
}
