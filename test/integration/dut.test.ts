import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pduConfigSchema } from "../../src/gateway/config.js";
import { consulKeys } from "../../src/consul/keys.js";
import { createPdu } from "../../src/gateway/pdu/create-pdu.js";
import { createRunDir } from "../cluster/run-dir.js";
import { finishedAllocation, readLog } from "../support/allocations.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { startPtyPair, type PtyPair } from "../cluster/socat.js";
import { clusterClients } from "../support/clients.js";
import { fakeBoard } from "../support/fake-board.js";

const { nomad, consul, config } = clusterClients();
const cluster = inject("cluster");
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const run = createRunDir("petrel-dut-");
const boardScript = join(run.path, "board.mjs");
let pty: PtyPair;

beforeAll(async () => {
  writeFileSync(boardScript, fakeBoard);
  pty = await startPtyPair(run, "board7");
});

afterAll(async () => {
  await pty.stop();
  expect(await run.remove()).toEqual([]);
});

type Scenario = "pass" | "fail" | "panic-once" | "hang" | "silent";

/** A virtual PDU whose outlet starts the fake board in a scenario, and a DUT on its pty. */
async function board(scenario: Scenario, name = `board-${scenario}`) {
  // The agents' user owns the folder: a Nomad task runs the board as that user.
  const dir = run.sub(name);
  const boots = join(dir, "boots");
  const pdu = { driver: "virtual", command: [process.execPath, boardScript, pty.board, scenario, boots], outlets: 1, stateDir: dir, minOffMs: 100 };
  await consul.kv.set(consulKeys.pdu(config.kvPrefix, name), JSON.stringify(pdu));
  await consul.kv.set(consulKeys.dut(config.kvPrefix, name), JSON.stringify({
    pdu: name,
    outlet: 1,
    console: { serial: pty.dut, baud: 115200 },
    markers: { success: "^petrel-test: PASS", failure: "^petrel-test: FAIL", sessionEnd: "^petrel-session-end" },
    timeouts: { firstActivityMs: 3_000, silenceMs: 2_000, overallMs: 30_000 },
    retries: 1,
  }));
  return {
    name,
    boots: () => (existsSync(boots) ? readFileSync(boots, "utf8").split("\n").filter(Boolean).length : 0),
    outlet: async () => (await createPdu(name, pduConfigSchema.parse(pdu)).status(1)).state,
  };
}

function petrelDut(name: string | undefined) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", repoFile("src/cli.ts"), "dut", ...(name === undefined ? [] : ["--dut", name])], {
      env: { PATH: process.env.PATH, CONSUL_HTTP_ADDR: cluster.consulAddr, PETREL_KV_PREFIX: config.kvPrefix },
      timeout: 90_000,
    }, (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }));
  });
}

const bootLog = ["U-Boot 2024.01 (board 1)", "Starting kernel ...", "Linux version 6.12.0 (petrel@test)"];

describe("petrel dut with a virtual PDU, a fake board and a socat pty", () => {
  it("passes on the success marker, prints every console line but the power-up garbage, and powers off", async () => {
    const dut = await board("pass");
    const result = await petrelDut(dut.name);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: [...bootLog, "petrel-test: PASS", "petrel-session-end", ""].join("\n") });
    expect(result.stderr).toContain("petrel dut: pass: success marker: petrel-test: PASS");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 1, outlet: "off" });
  });

  it("fails on the failure marker", async () => {
    const dut = await board("fail");
    const result = await petrelDut(dut.name);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("petrel-test: FAIL\n");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 1, outlet: "off" });
  });

  it("boots again after a kernel panic, then passes", async () => {
    const dut = await board("panic-once");
    const result = await petrelDut(dut.name);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\nU-Boot 2024.01 (board 1)\n");
    expect(result.stderr).toContain("petrel dut: boot 1: reboot needed: Kernel panic - not syncing");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 2, outlet: "off" });
  });

  it("is incomplete when the console stays silent, after its retries", async () => {
    const dut = await board("silent");
    const result = await petrelDut(dut.name);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: "" });
    expect(result.stderr).toContain("petrel dut: incomplete: gave up after 2 boots: no console activity within 3000 ms of power on");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 2, outlet: "off" });
  });

  it("boots again when a booted console goes silent, and is incomplete after its retries", async () => {
    const dut = await board("hang");
    const result = await petrelDut(dut.name);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: [...bootLog, ...bootLog, ""].join("\n") });
    expect(result.stderr).toContain("petrel dut: boot 1: the console was silent for 2000 ms");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 2, outlet: "off" });
  });

  it("boots again when a watchdog expires, long before the silence timeout", async () => {
    const dut = await board("hang", "board-watchdog");
    const key = consulKeys.dut(config.kvPrefix, dut.name);
    const stored = JSON.parse(String((await consul.kv.get(key))!.Value)) as Record<string, unknown>;
    await consul.kv.set(key, JSON.stringify({ ...stored, watchdogs: { kernel: { start: "^Starting kernel", reset: "^Linux version", timeoutMs: 400 } } }));
    const result = await petrelDut(dut.name);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("petrel dut: boot 1: watchdog kernel expired after 400 ms");
    expect(result.stderr).toContain("petrel dut: incomplete: gave up after 2 boots: watchdog kernel expired after 400 ms");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 2, outlet: "off" });
  });

  it("reads a TCP console", async () => {
    const server = createServer((socket) => {
      setTimeout(() => socket.write(`noise\r\n${bootLog.join("\r\n")}\r\npetrel-test: PASS\r\n`), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const dut = await board("silent", "board-tcp");
    const key = consulKeys.dut(config.kvPrefix, dut.name);
    const stored = JSON.parse(String((await consul.kv.get(key))!.Value)) as Record<string, unknown>;
    await consul.kv.set(key, JSON.stringify({ ...stored, console: { tcp: { host: "127.0.0.1", port: (server.address() as AddressInfo).port } }, markers: { success: "^petrel-test: PASS" } }));
    const result = await petrelDut(dut.name);
    server.close();
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: [...bootLog, "petrel-test: PASS", ""].join("\n") });
    expect(await dut.outlet()).toBe("off");
  });

  it("is incomplete, naming the key, when the DUT has no config or no --dut", async () => {
    const usage = await petrelDut(undefined);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^error: required option '--dut <name>' not specified\n/);
    const result = await petrelDut("no-such-board");
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 2, stderr: `petrel dut: incomplete: ${config.kvPrefix}/duts/no-such-board: no DUT config in Consul KV\n` });
  });
});

describe("hcl/dut.hcl on the test cluster's gateway client, dispatched through petrel serve", () => {
  const apiToken = "dut-token-eccbc87e4b5c4ab3";
  let petrel: TestPetrel;

  beforeAll(async () => {
    const job = await nomad.jobs.parse(readFileSync(repoFile("hcl/dut.hcl"), "utf8"), {
      command: repoFile("node_modules/.bin/tsx"),
      args: [repoFile("src/cli.ts")],
      consul_addr: cluster.consulAddr.replace("http://", ""),
      kv_prefix: config.kvPrefix,
    });
    await nomad.jobs.register(job);
    petrel = await startPetrel({ PETREL_API_TOKEN: apiToken });
  });

  afterAll(async () => {
    await petrel?.stop();
  });

  const runDut = async (name: string) => {
    const response = await fetch(`${petrel.url}/gateway/duts/${name}/run`, { method: "POST", headers: { authorization: `Bearer ${apiToken}` } });
    return { status: response.status, body: (await response.json()) as { job?: string; error?: string } };
  };

  it("runs the board to a pass: the console is the job's stdout and the outlet is off after", async () => {
    const dut = await board("panic-once", "board-nomad");
    const dispatched = await runDut(dut.name);
    expect(dispatched.status).toBe(201);
    expect(dispatched.body.job).toMatch(/^dut\/dispatch-\d+-[0-9a-f]{8}$/);
    const alloc = await finishedAllocation(nomad, dispatched.body.job!);
    const stdout = await readLog(nomad, alloc.ID, "stdout", "dut");
    expect({ status: alloc.ClientStatus, end: stdout.split("\n").slice(-3) }).toEqual({ status: "complete", end: ["petrel-test: PASS", "petrel-session-end", ""] });
    expect(stdout).toContain("Kernel panic - not syncing");
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots: 2, outlet: "off" });
  });

  it.each([
    { scenario: "fail", verdict: "petrel dut: fail: failure marker: petrel-test: FAIL", boots: 1 },
    { scenario: "silent", verdict: "petrel dut: incomplete: gave up after 2 boots: no console activity within 3000 ms of power on", boots: 2 },
  ] as const)("ends the job failed for a $scenario board, its verdict in the job's stderr, the outlet off", async ({ scenario, verdict, boots }) => {
    const dut = await board(scenario, `board-nomad-${scenario}`);
    const dispatched = await runDut(dut.name);
    expect(dispatched.status).toBe(201);
    const alloc = await finishedAllocation(nomad, dispatched.body.job!);
    expect({ status: alloc.ClientStatus, verdict: (await readLog(nomad, alloc.ID, "stderr", "dut")).includes(verdict) }).toEqual({ status: "failed", verdict: true });
    expect({ boots: dut.boots(), outlet: await dut.outlet() }).toEqual({ boots, outlet: "off" });
  });

  it("answers 404 for a board without config", async () => {
    expect(await runDut("no-such-board")).toEqual({ status: 404, body: { error: `${config.kvPrefix}/duts/no-such-board: no DUT config in Consul KV` } });
  });
});
