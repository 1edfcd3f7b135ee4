import { once } from "node:events";
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/builds/allocation.js";
import { execExitCodes } from "../../src/executor/exec-failure.js";
import { registerBuilder } from "../cluster/builder.js";
import { waitUntil } from "../cluster/wait.js";
import { finishedAllocation } from "../support/allocations.js";
import { colouredScript, dispatchScript } from "../support/build-repo.js";
import { clusterClients } from "../support/clients.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { secretOnce } from "../support/secret-once.js";

const { nomad } = clusterClients();
const stdoutOf = "\u001b[32mgreen <ok>\u001b[0m first\n\u001b[1;31mred & bold\u001b[0m second\n";
let petrel: TestPetrel;
let builder: string;
let nowhere: string;

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "build-view" });
  nowhere = await registerBuilder(nomad, { id: "build-view-nowhere", unplaceable: true });
  petrel = await startPetrel();
});
afterAll(() => petrel.stop());

const get = (query: string, init: RequestInit = {}) => fetch(`${petrel.url}/build?${query}`, init);
const job = (id: string) => `job=${encodeURIComponent(id)}`;
const text = (chunk: { value?: unknown }) => new TextDecoder().decode(chunk.value as Uint8Array | undefined);
/** Reads until `wanted` has arrived (a log may come in several chunks); answers all read so far. */
async function readUntil(reader: ReadableStreamDefaultReader, wanted: string): Promise<string> {
  let seen = "";
  while (!seen.includes(wanted)) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the stream ended before '${wanted}' arrived (got '${seen}')`);
    seen += text(chunk);
  }
  return seen;
}
const openStreams = async () => Number(/^petrel_log_streams_open (\d+)/m.exec(await (await fetch(`${petrel.url}/metrics`)).text())?.[1]);

describe("GET /build on a finished build", () => {
  let id: string;
  beforeAll(async () => {
    id = await dispatchScript(nomad, builder, colouredScript(3), { SECRETS_URL: await secretOnce("capability-0123456789") });
    await finishedAllocation(nomad, id);
  });

  it("answers the build's status as JSON, meta without the secrets URL", async () => {
    const answer = await get(job(id));
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).not.toContain("capability-0123456789");
    const status = JSON.parse(text) as Record<string, unknown>;
    expect(status).toMatchObject({ job: id, builder, state: "failure", description: "exit code 3", finished: true, exitCode: 3, task: "executor", jobStatus: "dead" });
    expect(status.allocation).toMatchObject({ clientStatus: "failed" });
    expect(status.meta).toMatchObject({ FLAVOR: "default", BRANCH: "main" });
    expect(status.meta).not.toHaveProperty("SECRETS_URL");
    expect(Date.parse(status.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(status.startedAt as string));
  });

  it("answers each log as text, whole, without follow", async () => {
    const stdout = await get(`${job(id)}&log=stdout`);
    expect(stdout.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await stdout.text()).toBe(stdoutOf);
    expect(await (await get(`${job(id)}&log=stderr`)).text()).toMatch(/^petrel: building .*\nto stderr\n$/);
  });

  it("ends a followed log of a finished build at once", async () => {
    expect(await (await get(`${job(id)}&log=stdout&follow=1`)).text()).toBe(stdoutOf);
  });
});

describe("GET /build on a build whose checkout failed", () => {
  it("says the checkout failed, with why in the build's log, and the script never ran", async () => {
    const built = await dispatchScript(nomad, builder, "echo never");
    const { Meta } = await nomad.jobs.get(built);
    await finishedAllocation(nomad, built);
    const { DispatchedJobID: id } = await nomad.jobs.dispatch(builder, { meta: { ...Meta, COMMIT: "1".repeat(40) } });
    const alloc = await finishedAllocation(nomad, id);
    const status = (await (await get(job(id))).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ state: "error", description: "infrastructure error: checkout failed", finished: true });
    expect(await (await get(`${job(id)}&log=stderr`)).text()).toContain(`petrel fetch: commit ${"1".repeat(40)} is not in ${Meta!.REPO_URL}`);
    expect(await (await get(`${job(id)}&log=stdout`)).text()).toBe("");
    // The checkout task said so in its word and ended well; it keeps no log, which spares its start Nomad's log collector.
    expect(exitCodeOf(alloc.TaskStates?.checkout)).toBe(0);
    const checkoutLog = await get(`${job(id)}&task=checkout&log=stderr`);
    expect({ status: checkoutLog.status, text: await checkoutLog.text() }).toEqual({ status: 200, text: "" });
    expect(exitCodeOf(alloc.TaskStates?.executor)).toBe(execExitCodes.checkout);
  });
});

describe("GET /build?…&task=checkout&follow=1 while the checkout task fetches", () => {
  it("follows a log Nomad keeps none of as an empty one, until the task ends", async () => {
    // A forge that takes the connection and never answers: the checkout task's fetch hangs.
    const silent = createServer(() => undefined);
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    try {
      const built = await dispatchScript(nomad, builder, "echo never");
      const { Meta } = await nomad.jobs.get(built);
      const { port } = silent.address() as AddressInfo;
      const { DispatchedJobID: id } = await nomad.jobs.dispatch(builder, { meta: { ...Meta, REPO_URL: `http://127.0.0.1:${port}/team/hangs.git` } });
      await waitUntil("the checkout task to run", async () => ((await nomad.jobs.allocations(id)).value[0]?.TaskStates?.checkout?.State === "running" ? true : undefined), { timeoutMs: 60_000 });
      const answer = await get(`${job(id)}&task=checkout&log=stderr&follow=1`);
      expect(answer.status).toBe(200);
      const body = answer.text();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await nomad.jobs.stop(id);
      expect(await body).toBe("");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe("GET /build?…&follow=1 while the build runs", () => {
  it("streams from before the allocation exists until the task ends", async () => {
    const id = await dispatchScript(nomad, builder, colouredScript(0, 2));
    const answer = await get(`${job(id)}&log=stdout&follow=1`);
    const reader = answer.body!.getReader();
    const first = text(await reader.read());
    expect(first).toContain("green <ok>");
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += text(chunk);
    expect(first + rest).toBe(stdoutOf);
    expect(await (await get(job(id))).json()).toMatchObject({ state: "success", exitCode: 0 });
  });

  it("ends when a build still waiting for a node is stopped", async () => {
    const id = await dispatchScript(nomad, nowhere, colouredScript(0));
    const answer = get(`${job(id)}&log=stdout&follow=1`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await nomad.jobs.stop(id);
    expect(await (await answer).text()).toBe("");
    expect(await (await get(job(id))).json()).toMatchObject({ state: "canceled", allocation: null });
  });

  it("ends every follower of a running build when it is stopped, and counts the open streams meanwhile", async () => {
    const id = await dispatchScript(nomad, builder, "echo started; echo started >&2; sleep 60");
    const readers = await Promise.all(
      ["stdout", "stdout", "stderr"].map(async (type) => (await get(`${job(id)}&log=${type}&follow=1`)).body!.getReader()),
    );
    try {
      for (const reader of readers) await readUntil(reader, "started\n");
      expect(await openStreams()).toBe(3);
    } finally {
      await nomad.jobs.stop(id);
    }
    for (const reader of readers) expect((await reader.read()).done).toBe(true);
    expect(await openStreams()).toBe(0);
    expect(await (await get(job(id))).json()).toMatchObject({ state: "canceled" });
  });

  it("closes the upstream stream when the client goes away", async () => {
    const id = await dispatchScript(nomad, builder, "echo started; sleep 60");
    const client = new AbortController();
    try {
      const answer = await get(`${job(id)}&log=stdout&follow=1`, { signal: client.signal });
      await readUntil(answer.body!.getReader(), "started\n");
      expect(await openStreams()).toBe(1);
      client.abort();
      await expect.poll(openStreams, { timeout: 5_000 }).toBe(0);
    } finally {
      await nomad.jobs.stop(id);
    }
  });
});

describe("GET /build refusals", () => {
  it("answers 404 JSON for an unknown job", async () => {
    const answer = await get(job("build-view/dispatch-1-00000000"));
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error: "no job 'build-view/dispatch-1-00000000' in Nomad" });
  });

  it("answers 400 JSON for a job that is not a dispatched build", async () => {
    const answer = await get(job(builder));
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: "job 'build-view' is not a build: it was not dispatched from a parameterized builder job" });
  });

  it("answers 400 naming the parameter for a bad query", async () => {
    expect(await (await get("")).json()).toEqual({ error: "missing query parameter 'job'" });
    const badLog = await get(`${job("x")}&log=both`);
    expect([badLog.status, await badLog.json()]).toEqual([400, { error: "query parameter 'log' must be stdout or stderr" }]);
  });

  it("answers 400 for a task the build doesn't have", async () => {
    const id = await dispatchScript(nomad, builder, "true");
    await finishedAllocation(nomad, id);
    const answer = await get(`${job(id)}&log=stdout&task=nope`);
    expect([answer.status, await answer.json()]).toEqual([400, { error: `job '${id}' has no task 'nope' (its tasks: checkout, executor)` }]);
  });

  it("answers 503 past the most log streams it serves at once", async () => {
    const small = await startPetrel({ PETREL_MAX_LOG_STREAMS: "1" });
    const id = await dispatchScript(nomad, builder, "echo started; sleep 60");
    try {
      const first = await fetch(`${small.url}/build?${job(id)}&log=stdout&follow=1`);
      await first.body!.getReader().read();
      const second = await fetch(`${small.url}/build?${job(id)}&log=stdout`);
      expect(second.status).toBe(503);
      expect(second.headers.get("retry-after")).toBe("5");
      expect(await second.json()).toEqual({ error: "1 build logs are being streamed already, the most this Petrel serves at once; retry later" });
    } finally {
      await nomad.jobs.stop(id);
      await small.stop();
    }
  });

  it("keeps log streams for other clients while one client's idle followers hold all it may have", async () => {
    const small = await startPetrel({ PETREL_MAX_LOG_STREAMS: "4" });
    const id = await dispatchScript(nomad, builder, "echo started; sleep 60");
    const held: AbortController[] = [];
    try {
      const follow = async () => {
        const stop = new AbortController();
        held.push(stop);
        const answer = await fetch(`${small.url}/build?${job(id)}&log=stdout&follow=1`, { signal: stop.signal });
        if (answer.ok) await answer.body!.getReader().read();
        return answer;
      };
      expect([(await follow()).status, (await follow()).status]).toEqual([200, 200]);
      const third = await follow();
      expect(third.status).toBe(503);
      expect(await third.json()).toEqual({ error: "this client streams 2 build logs already, the most one client gets of this Petrel's 4; retry later" });
      // Another client (another loopback address) still reads the log.
      expect(await getFrom("127.0.0.2", `${small.url}/build?${job(id)}&log=stdout`)).toEqual({ status: 200, body: "started\n" });
    } finally {
      for (const stop of held) stop.abort();
      await nomad.jobs.stop(id);
      await small.stop();
    }
  });

  it("ends a follow that stays quiet past PETREL_LOG_IDLE, and goes on from the offset the client had", async () => {
    const quiet = await startPetrel({ PETREL_LOG_IDLE: "1" });
    const id = await dispatchScript(nomad, builder, "echo started; sleep 30");
    try {
      // Quiet while it waits for a node too: the first follow may end before the build has printed.
      const early = await fetch(`${quiet.url}/build?${job(id)}&log=stdout&follow=1`);
      expect(early.status).toBe(200);
      await early.text();
      await waitUntil("the build to print", async () => ((await (await fetch(`${quiet.url}/build?${job(id)}&log=stdout`)).text()) === "started\n" ? true : undefined), { timeoutMs: 60_000 });
      const started = Date.now();
      const first = await fetch(`${quiet.url}/build?${job(id)}&log=stdout&follow=1`);
      expect([first.status, await first.text()]).toEqual([200, "started\n"]);
      expect(Date.now() - started).toBeLessThan(15_000);
      const again = await fetch(`${quiet.url}/build?${job(id)}&log=stdout&follow=1&offset=8`);
      expect([again.status, await again.text()]).toEqual([200, ""]);
      const bad = await fetch(`${quiet.url}/build?${job(id)}&log=stdout&offset=-1`);
      expect([bad.status, await bad.json()]).toEqual([400, { error: "query parameter 'offset' must be a byte count" }]);
    } finally {
      await nomad.jobs.stop(id);
      await quiet.stop();
    }
  });

  it("shares one upstream stream among the followers of a task, and a late one still gets the whole log", async () => {
    const id = await dispatchScript(nomad, builder, "for i in 1 2 3 4 5 6; do echo line $i; sleep 1; done");
    const whole = Array.from({ length: 6 }, (_, i) => `line ${i + 1}\n`).join("");
    const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(await (await fetch(`${petrel.url}/metrics`)).text())?.[1]);
    await waitUntil("the build to print", async () => ((await (await fetch(`${petrel.url}/build?${job(id)}&log=stdout`)).text()).includes("line 2") ? true : undefined), { timeoutMs: 60_000 });
    const early = [fetch(`${petrel.url}/build?${job(id)}&log=stdout&follow=1`), fetch(`${petrel.url}/build?${job(id)}&log=stdout&follow=1`)];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = fetch(`${petrel.url}/build?${job(id)}&log=stdout&follow=1`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([await gauge("petrel_log_streams_open"), await gauge("petrel_log_upstreams_open")]).toEqual([3, 1]);
    const texts = await Promise.all([...early, late].map(async (answer) => (await answer).text()));
    expect(texts).toEqual([whole, whole, whole]);
    expect(await gauge("petrel_log_upstreams_open")).toBe(0);
  });

  it("lets a follower that never reads fall behind without holding back the one that reads", async () => {
    const id = await dispatchScript(nomad, builder, "sleep 2; head -c 4000000 /dev/zero | tr '\\0' x; echo; sleep 1");
    await waitUntil("the build to run", async () => ((await nomad.jobs.get(id)).Status === "running" ? true : undefined), { timeoutMs: 60_000 });
    // Asks, then never reads: the socket fills, and Petrel's writes to it stall.
    const stalled = await new Promise<IncomingMessage>((resolve, reject) => request(`${petrel.url}/build?${job(id)}&log=stdout&follow=1`, resolve).on("error", reject).end());
    stalled.pause();
    const reader = await fetch(`${petrel.url}/build?${job(id)}&log=stdout&follow=1`);
    const text = await reader.text();
    expect(text.length).toBe(4_000_001);
    stalled.destroy();
  });

  it("answers 503 when Nomad is unreachable", async () => {
    const lonely = await startPetrel({ NOMAD_ADDR: "http://127.0.0.1:1" });
    try {
      const answer = await fetch(`${lonely.url}/build?${job("builder/dispatch-1-00000000")}`);
      expect(answer.status).toBe(503);
      expect((await answer.json() as { error: string }).error).toMatch(/^Nomad is unreachable: ECONNREFUSED/);
    } finally {
      await lonely.stop();
    }
  });
});

/** A GET from another source address: Petrel tells clients apart by theirs. */
function getFrom(localAddress: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
