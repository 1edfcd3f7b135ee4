/**
 * The script snmpd runs as `pass_persist`: a PDU's outlet table held in
 * memory, speaking net-snmp's pass_persist protocol on stdin/stdout. Its
 * arguments: the table (spdu, rpdu, rpdu2, cyberpower) and the outlet count.
 * snmpd follows a `set` with an empty line, which must not be answered.
 */
export const apcPassPersist = String.raw`
import { createInterface } from "node:readline";
const tables = {
  spdu: { control: ".1.3.6.1.4.1.318.1.1.4.4.2.1.3" },
  rpdu: { control: ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4" },
  rpdu2: { control: ".1.3.6.1.4.1.318.1.1.26.9.2.4.1.5", status: ".1.3.6.1.4.1.318.1.1.26.9.2.3.1.5" },
  cyberpower: { control: ".1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4" },
};
const table = tables[process.argv[2]];
const count = Number(process.argv[3]);
const on = new Array(count + 1).fill(false);
const parts = (oid) => oid.split(".").filter(Boolean).map(Number);
const compare = (a, b) => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return 0;
};
const rows = [table.control, table.status].filter(Boolean).flatMap((column) => Array.from({ length: count }, (_, i) => column + "." + (i + 1))).sort(compare);
const outletOf = (oid) => Number(oid.slice(oid.lastIndexOf(".") + 1));
// The rPDU2 status column is off(1)/on(2); every command column is on(1)/off(2).
const value = (oid) => (table.status && oid.startsWith(table.status + ".") ? (on[outletOf(oid)] ? 2 : 1) : on[outletOf(oid)] ? 1 : 2);
const answer = (...lines) => process.stdout.write(lines.join("\n") + "\n");
let request = [];
createInterface({ input: process.stdin }).on("line", (line) => {
  request.push(line);
  const [command, oid, typed] = request;
  if (command === "PING") { request = []; return answer("PONG"); }
  if (command === "") { request = []; return; }
  if ((command === "get" || command === "getnext") && request.length === 2) {
    request = [];
    const row = command === "get" ? rows.find((r) => r === oid) : rows.find((r) => compare(r, oid) > 0);
    return row ? answer(row, "integer", String(value(row))) : answer("NONE");
  }
  if (command === "set" && request.length === 3) {
    request = [];
    if (!oid.startsWith(table.control + ".") || !rows.includes(oid)) return answer("not-writable");
    const [type, raw] = typed.split(" ");
    if (type !== "integer") return answer("wrong-type");
    const wanted = Number(raw);
    if (wanted === 1) on[outletOf(oid)] = true;
    else if (wanted === 2) on[outletOf(oid)] = false;
    else if (wanted !== 3) return answer("wrong-value");
    return answer("DONE");
  }
});
`;
