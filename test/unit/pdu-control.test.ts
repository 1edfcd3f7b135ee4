import { describe, expect, it } from "vitest";
import { createPduControl } from "../../src/gateway/pdu/control.js";
import { PduError, unknownOutlet, type OutletState, type PduDriver } from "../../src/gateway/pdu/driver.js";

/** A relay in memory that ignores the first `stuck` writes and fails the first `down` calls: control.ts's rules, not a PDU, are under test. */
function relay({ stuck = 0, down = 0, hang = false } = {}) {
  let state: OutletState = "off";
  const calls: string[] = [];
  const driver: PduDriver = {
    outlets: () => Promise.resolve([1]),
    read: (outlet) => {
      calls.push(`read ${outlet}`);
      if (outlet !== 1) return Promise.reject(unknownOutlet("mem", outlet, [1]));
      if (down-- > 0) return Promise.reject(new PduError("unreachable", "mem: no answer"));
      return hang ? new Promise<never>(() => {}) : Promise.resolve(state);
    },
    write: (_outlet, wanted) => {
      calls.push(`write ${wanted}`);
      if (stuck-- <= 0) state = wanted;
      return Promise.resolve();
    },
  };
  return { driver, calls };
}

const options = { pdu: "mem", minOffMs: 0, retries: 2, retryDelayMs: 1, callTimeoutMs: 200 };

describe("what every PDU driver gets from control.ts", () => {
  it("writes again when the read back disagrees, and gives up with a clear error after its retries", async () => {
    const once = relay({ stuck: 1 });
    expect(await createPduControl(once.driver, options).on(1)).toEqual({ outlet: 1, state: "on", changed: true });
    expect(once.calls).toEqual(["read 1", "write on", "read 1", "write on", "read 1"]);
    const always = relay({ stuck: 10 });
    await expect(createPduControl(always.driver, options).on(1)).rejects.toThrow("mem: outlet 1 still reads off after switching it on");
    expect(always.calls.filter((call) => call === "write on")).toHaveLength(3);
  });

  it("retries an unreachable PDU but not an unknown outlet", async () => {
    const flaky = relay({ down: 2 });
    expect((await createPduControl(flaky.driver, options).status(1)).state).toBe("off");
    const unknown = relay();
    await expect(createPduControl(unknown.driver, options).on(2)).rejects.toThrow("mem has no outlet 2 (it has outlets 1)");
    expect(unknown.calls).toEqual(["read 2"]);
  });

  it("times out a call that never answers, whatever the driver does", async () => {
    const { driver } = relay({ hang: true });
    await expect(createPduControl(driver, { ...options, retries: 0 }).status(1)).rejects.toThrow("mem: reading outlet 1 took longer than 200 ms");
  });

  it("waits out the minimum off time only for what remains of it", async () => {
    const waits: number[] = [];
    const control = createPduControl(relay().driver, { ...options, minOffMs: 30_000, holdOff: (ms) => Promise.resolve(waits.push(ms)) });
    await control.on(1);
    expect(waits).toEqual([]);
    await control.off(1);
    await control.on(1);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(29_000);
  });
});
