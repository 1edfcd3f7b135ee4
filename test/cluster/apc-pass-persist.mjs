// snmpd's pass_persist peer for the tests: an APC sPDUOutletCtl table of
// outlets held in memory (1 on, 2 off; a write of 3 reboots to on).
// Protocol: PING/PONG, get, getnext, and set — which snmpd follows with an
// empty line that must not be answered.
import { createInterface } from "node:readline";

const [base, count] = [process.argv[2], Number(process.argv[3])];
const state = new Map(Array.from({ length: count }, (_, i) => [i + 1, 2]));
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => {
  const line = await lines.next();
  if (line.done) process.exit(0);
  return line.value.trim();
};
const say = (...out) => process.stdout.write(`${out.join("\n")}\n`);
const outletOf = (oid) => (oid.startsWith(`${base}.`) ? Number(oid.slice(base.length + 1)) : undefined);

for (;;) {
  const command = await next();
  if (command === "PING") say("PONG");
  else if (command === "get") {
    const oid = await next();
    const outlet = outletOf(oid);
    if (outlet !== undefined && state.has(outlet)) say(oid, "integer", state.get(outlet));
    else say("NONE");
  } else if (command === "getnext") {
    const oid = await next();
    const outlet = outletOf(oid);
    const following = oid === base || base.startsWith(oid) ? 1 : outlet !== undefined && Number.isInteger(outlet) ? outlet + 1 : undefined;
    if (following !== undefined && state.has(following)) say(`${base}.${following}`, "integer", state.get(following));
    else say("NONE");
  } else if (command === "set") {
    const oid = await next();
    const value = Number((await next()).split(/\s+/)[1]);
    const outlet = outletOf(oid);
    if (outlet === undefined || !state.has(outlet)) say("not-writable");
    else if (![1, 2, 3].includes(value)) say("wrong-value");
    else {
      state.set(outlet, value === 2 ? 2 : 1);
      say("DONE");
    }
  }
}
