import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { pduConfigSchema, type PduConfigInput } from "../../src/gateway/config.js";
import { createPdu } from "../../src/gateway/pdu/create-pdu.js";

const dir = mkdtempSync(join(tmpdir(), "petrel-pdu-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pdu = (name: string, config: PduConfigInput) => createPdu(name, pduConfigSchema.parse({ minOffMs: 0, retryDelayMs: 5, ...config }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function eventually<T>(read: () => T, until: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = read();
    if (until(value)) return value;
    await sleep(25);
  }
  return read();
}

describe("virtual PDU", () => {
  const stateDir = join(dir, "virtual");
  const board = [process.execPath, "-e", "console.log(`board ${process.env.OUTLET} up`); setInterval(() => {}, 1000)"];

  it("starts the board process on, kills it off, and a second PDU instance sees the same outlets", async () => {
    const first = pdu("virt", { driver: "virtual", command: board, outlets: 2, stateDir });
    expect(await first.on(2)).toEqual({ outlet: 2, state: "on", changed: true });
    const pid = Number(readFileSync(join(stateDir, "outlet-2.pid"), "utf8"));
    expect(alive(pid)).toBe(true);
    expect(await eventually(() => readFileSync(join(stateDir, "outlet-2.log"), "utf8"), (log) => log !== "")).toBe("board 2 up\n");

    const second = pdu("virt", { driver: "virtual", command: board, outlets: 2, stateDir });
    expect(await second.status(2)).toMatchObject({ state: "on" });
    expect(await second.status(1)).toMatchObject({ state: "off" });
    expect(await second.off(2)).toEqual({ outlet: 2, state: "off", changed: true });
    expect(alive(pid)).toBe(false);
  });

  it("reads an outlet whose board died as off", async () => {
    const virtual = pdu("virt", { driver: "virtual", command: board, outlets: 1, stateDir: join(dir, "dies") });
    await virtual.on(1);
    process.kill(Number(readFileSync(join(dir, "dies", "outlet-1.pid"), "utf8")), "SIGKILL");
    await sleep(100);
    expect(await virtual.status(1)).toMatchObject({ state: "off" });
    expect((await virtual.on(1)).changed).toBe(true);
    expect((await virtual.off(1)).state).toBe("off");
  });

  it("names a board program that cannot start, and an unknown outlet", async () => {
    const missing = pdu("virt", { driver: "virtual", command: [join(dir, "no-such-board")], outlets: 1, stateDir: join(dir, "missing") });
    await expect(missing.on(1)).rejects.toThrow(/virt: cannot start outlet 1's process: spawn .*no-such-board ENOENT/);
    await expect(missing.on(2)).rejects.toThrow("virt has no outlet 2 (it has outlets 1)");
  });
});

describe("shell PDU", () => {
  const state = join(dir, "shell-state");
  const commands = {
    on: `mkdir -p ${state} && echo on > ${state}/$OUTLET`,
    off: `mkdir -p ${state} && echo off > ${state}/$OUTLET`,
    status: `cat ${state}/$OUTLET 2>/dev/null || echo off`,
  };

  it("runs the configured commands with the outlet in $OUTLET and reads the state back", async () => {
    const shell = pdu("sh", { driver: "shell", ...commands, outlets: [1, 2, 3] });
    expect(await shell.on(3)).toEqual({ outlet: 3, state: "on", changed: true });
    expect(readFileSync(join(state, "3"), "utf8")).toBe("on\n");
    expect(await shell.on(3)).toMatchObject({ changed: false });
    expect((await shell.off(3)).state).toBe("off");
  });

  it("reports a failing command with its stderr, and a status that is neither on nor off", async () => {
    const failing = pdu("sh", { driver: "shell", ...commands, on: "echo relay jammed >&2; exit 3", outlets: [1] });
    await expect(failing.on(1)).rejects.toThrow("sh: the on command for outlet 1 exited with 3: relay jammed");
    const confused = pdu("sh", { driver: "shell", ...commands, status: "echo maybe", outlets: [1] });
    await expect(confused.status(1)).rejects.toThrow("sh: the status command for outlet 1 printed 'maybe', not on or off");
  });
});
