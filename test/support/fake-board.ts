/**
 * A board's boot log, written to a pty by the process a virtual PDU outlet
 * starts. Arguments: the pty, the scenario (pass, fail, panic-once, hang: boots
 * then goes quiet, silent: nothing after the garbage)
 * and a file counting boots. It starts with adapter garbage and no newline.
 */
export const fakeBoard = String.raw`
import { appendFileSync, openSync, readFileSync, writeSync } from "node:fs";
const [pty, scenario, boots] = process.argv.slice(2);
appendFileSync(boots, "boot\n");
const boot = readFileSync(boots, "utf8").split("\n").filter(Boolean).length;
const tty = openSync(pty, "w");
const say = (text) => writeSync(tty, text);
const lines = ["U-Boot 2024.01 (board " + process.env.OUTLET + ")", "Starting kernel ...", "Linux version 6.12.0 (petrel@test)"];
if (scenario === "pass" || (scenario === "panic-once" && boot > 1)) lines.push("petrel-test: PASS", "petrel-session-end");
else if (scenario === "fail") lines.push("petrel-test: FAIL", "petrel-session-end");
else if (scenario === "panic-once") lines.push("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
say("\x00\xff\xfepetrel-test: FAIL");
let i = 0;
const next = () => {
  if (i < lines.length) say((i === 0 ? "\r\n" : "") + lines[i++] + "\r\n");
  setTimeout(next, 30);
};
if (scenario !== "silent") next();
setInterval(() => {}, 1000);
`;
