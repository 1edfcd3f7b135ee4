import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followRepoConfigs } from "../../src/consul/repo-configs.js";
import { createIdempotentDispatch } from "../../src/dispatch/idempotent-dispatch.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics.js";
import type { Nomad } from "../../src/nomad/client.js";
import { createJobSightings } from "../../src/nomad/job-sightings.js";
import { startReporter, type Reporter } from "../../src/report/reporter.js";
import { registerBuilder } from "../cluster/builder.js";
import { clusterClients } from "../support/clients.js";

const { nomad, consul } = clusterClients();
const logger = createLogger("silent");
// A prefix with no repositories: the reporter follows the stream and leaves every build alone.
const kvPrefix = "petrel-confirm";
const repoConfigs = followRepoConfigs({ consul, prefix: kvPrefix, logger });
const followed = createJobSightings();
let reporter: Reporter;
let builder: string;

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "builder-confirm", unplaceable: true });
  reporter = startReporter({ nomad, consul, repoConfigs, sightings: followed, kvPrefix, publicUrl: "http://127.0.0.1:1", metrics: createMetrics(), logger });
  await reporter.ready;
});

afterAll(async () => {
  await reporter?.stop();
  repoConfigs.stop();
});

/** The cluster's Nomad, counting the reads that look a child up. */
function countingReads(): { nomad: Nomad; reads: () => number } {
  let reads = 0;
  const summary = (id: string) => {
    reads += 1;
    return nomad.jobs.summary(id);
  };
  return { nomad: { ...nomad, jobs: { ...nomad.jobs, summary } }, reads: () => reads };
}

const meta = () => ({ REPO_URL: "https://git.example.org/o/confirm.git", COMMIT: randomUUID().replaceAll("-", "").padEnd(40, "0"), BRANCH: "main", FLAVOR: "default" });

describe("a dispatch's child, confirmed", () => {
  it("from Nomad's event stream, without reading the child back", async () => {
    const counted = countingReads();
    const dispatched = await createIdempotentDispatch(counted.nomad, followed)(builder, meta(), randomUUID());
    expect(dispatched.created).toBe(true);
    expect((await nomad.jobs.get(dispatched.job)).ID).toBe(dispatched.job);
    expect(counted.reads()).toBe(0);
  });

  it("by reading the child back when nothing follows the event stream", async () => {
    const counted = countingReads();
    const dispatched = await createIdempotentDispatch(counted.nomad, createJobSightings())(builder, meta(), randomUUID());
    expect((await nomad.jobs.get(dispatched.job)).ID).toBe(dispatched.job);
    expect(counted.reads()).toBe(1);
  });

  it("by reading back the existing child a repeated token answers, which Nomad may since have collected", async () => {
    const token = randomUUID();
    const first = await createIdempotentDispatch(nomad, followed)(builder, meta(), token);
    const counted = countingReads();
    const again = await createIdempotentDispatch(counted.nomad, followed)(builder, meta(), token);
    expect(again).toEqual({ job: first.job, created: false });
    expect(counted.reads()).toBe(1);
  });
});
