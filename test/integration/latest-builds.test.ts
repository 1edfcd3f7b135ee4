import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { consulKeys } from "../../src/consul/keys.js";
import { createLatestBuilds } from "../../src/dispatch/latest-builds.js";
import { upstreamCalls } from "../../src/upstream-calls.js";
import { clusterClients } from "../support/clients.js";

const { consul } = clusterClients();
const newKey = () => consulKeys.latest("petrel-test", randomUUID());
const build = (n: number) => ({ job: `builder/dispatch-${n}`, commit: String(n).repeat(40) });

/** The Consul calls `work` made from this process. */
async function callsOf(work: () => Promise<unknown>): Promise<{ read: number; write: number }> {
  const before = structuredClone(upstreamCalls().consul);
  await work();
  const after = upstreamCalls().consul;
  return { read: after.read - before.read, write: after.write - before.write };
}

describe("the latest build of a branch in Consul", () => {
  it("swaps with one write and no read while this process is the only one swapping", async () => {
    const swapLatest = createLatestBuilds(consul);
    const key = newKey();
    let previous: unknown = "unset";
    expect(await callsOf(async () => (previous = await swapLatest(key, build(1))))).toEqual({ read: 0, write: 1 });
    expect(previous).toBeUndefined();
    expect(await callsOf(async () => (previous = await swapLatest(key, build(2))))).toEqual({ read: 0, write: 1 });
    expect(previous).toEqual(build(1));
    expect(JSON.parse((await consul.kv.get(key))?.Value ?? "")).toEqual(build(2));
  });

  it("answers what another replica swapped in meanwhile, not what this one remembers", async () => {
    const [one, other] = [createLatestBuilds(consul), createLatestBuilds(consul)];
    const key = newKey();
    await one(key, build(1));
    expect(await other(key, build(2))).toEqual(build(1));
    expect(await one(key, build(3))).toEqual(build(2));
    expect(await other(key, build(4))).toEqual(build(3));
  });

  it("starts the branch afresh once the key is swept", async () => {
    const swapLatest = createLatestBuilds(consul);
    const key = newKey();
    await swapLatest(key, build(1));
    await consul.kv.del(key);
    expect(await swapLatest(key, build(2))).toBeUndefined();
    expect(await swapLatest(key, build(3))).toEqual(build(2));
  });

  it("writes nothing for the build that is already the latest", async () => {
    const swapLatest = createLatestBuilds(consul);
    const key = newKey();
    await swapLatest(key, build(1));
    expect(await callsOf(() => swapLatest(key, build(1)))).toEqual({ read: 0, write: 0 });
  });
});
