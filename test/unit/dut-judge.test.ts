import { describe, expect, it } from "vitest";
import { createJudge, createLineSplitter } from "../../src/gateway/dut/judge.js";

describe("console lines", () => {
  it("drops what comes before the first newline, joins lines split across chunks, and strips CR", () => {
    const split = createLineSplitter();
    expect(split(Buffer.from("\x00\xffgarb"))).toEqual([]);
    expect(split(Buffer.from("age\r\nU-Bo"))).toEqual([]);
    expect(split(Buffer.from("ot 2024.01\r\nStarting"))).toEqual(["U-Boot 2024.01"]);
    expect(split(Buffer.from(" kernel ...\n\nLinux\r\n"))).toEqual(["Starting kernel ...", "", "Linux"]);
  });

  it("keeps a character whole when a read ends inside it", () => {
    const bytes = Buffer.from("boot\nTest bestanden: Größe ✓\n");
    const split = createLineSplitter();
    const lines = [...bytes].flatMap((byte) => split(Buffer.from([byte])));
    expect(lines).toEqual(["Test bestanden: Größe ✓"]);
  });
});

describe("markers", () => {
  const judge = createJudge({ success: "^PASS$", failure: "FAIL", sessionEnd: "^bye$", reboot: ["Kernel panic - not syncing", "watchdog: BUG: soft lockup"] });

  it("maps lines to events, a reboot-needed line winning over a verdict on the same line", () => {
    expect(["PASS", "test FAIL", "bye", "[ 1.0] Kernel panic - not syncing: Attempted to kill init!", "watchdog: BUG: soft lockup - CPU#0 stuck", "PASS later", "Kernel panic - not syncing FAIL"].map(judge))
      .toEqual(["success", "failure", "session-end", "reboot", "reboot", undefined, "reboot"]);
  });
});
