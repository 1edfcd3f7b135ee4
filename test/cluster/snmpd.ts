import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts } from "./ports.js";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

export const sPduOutletCtl = "1.3.6.1.4.1.318.1.1.4.4.2.1.3";
const peer = fileURLToPath(new URL("./apc-pass-persist.mjs", import.meta.url));

export type RunningSnmpd = { port: number; stop: () => Promise<void> };

/**
 * net-snmp's real `snmpd` on a free loopback UDP port, answering SNMP v1 as
 * an APC PDU: community `private` may write, `public` only read, and the
 * sPDUOutletCtl table is a pass_persist script holding `outlets` outlets.
 */
export async function startSnmpd(run: RunDir, { outlets = 8 } = {}): Promise<RunningSnmpd> {
  const dir = run.sub("snmpd");
  const [port] = await freePorts(1);
  const conf = join(dir, "snmpd.conf");
  writeFileSync(conf, [
    `agentAddress udp:127.0.0.1:${port}`,
    "rwcommunity private 127.0.0.1",
    "rocommunity public 127.0.0.1",
    `pass_persist .${sPduOutletCtl} ${process.execPath} ${peer} .${sPduOutletCtl} ${outlets}`,
    "",
  ].join("\n"));
  const daemon = await startAgent(run, {
    name: "snmpd",
    command: "/usr/sbin/snmpd",
    args: ["-f", "-C", "-c", conf, "-Lf", join(dir, "snmpd-own.log"), "-p", join(dir, "snmpd.pid")],
    dir,
    env: { SNMP_PERSISTENT_DIR: dir, MIBS: "" },
    asInvoker: true,
    readiness: "snmpd answering SNMP v1 on its port",
    ready: () => Promise.resolve(answers(port!)),
  });
  return { port: port!, stop: () => stopDaemon(daemon) };
}

function answers(port: number): boolean {
  try {
    execFileSync("snmpget", ["-v1", "-c", "public", "-t", "1", "-r", "0", "-On", `127.0.0.1:${port}`, `.${sPduOutletCtl}.1`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
