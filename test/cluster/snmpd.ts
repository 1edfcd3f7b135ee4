import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSnmp } from "../../src/gateway/pdu/snmp.js";
import { apcPassPersist } from "./apc-pass-persist.js";
import { freePorts } from "./ports.js";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

export type SnmpTableKind = "spdu" | "rpdu" | "rpdu2" | "cyberpower";

export type RunningSnmpd = { host: string; port: number; stop: () => Promise<void> };

/**
 * Debian's net-snmp `snmpd` on a free loopback UDP port, holding one PDU's
 * outlet table (all off at start) through a pass_persist script. Community
 * `private` is read-write, `public` read-only.
 */
export async function startSnmpd(run: RunDir, kind: SnmpTableKind, outlets = 8): Promise<RunningSnmpd> {
  const snmpd = findProgram("snmpd", "/usr/sbin/snmpd");
  const dir = run.sub(`snmpd-${kind}`);
  const [port] = await freePorts(1);
  const script = join(dir, "outlets.mjs");
  writeFileSync(script, apcPassPersist);
  const config = join(dir, "snmpd.conf");
  const subtree = kind === "cyberpower" ? ".1.3.6.1.4.1.3808" : ".1.3.6.1.4.1.318";
  writeFileSync(config, [
    `agentAddress udp:127.0.0.1:${port}`,
    "rwcommunity private 127.0.0.1",
    "rocommunity public 127.0.0.1",
    `pass_persist ${subtree} ${process.execPath} ${script} ${kind} ${outlets}`,
    "",
  ].join("\n"));
  // UDP is held by nobody in between, so a race with another run shows as a failed start.
  const probe = createSnmp({ host: "127.0.0.1", port: port!, community: "private", timeoutMs: 300 });
  const daemon = await startAgent(run, {
    name: "snmpd",
    command: snmpd,
    // -C: no system-wide config; -Lo: log to stdout, which goes to the agent's log file.
    args: ["-f", "-C", "-c", config, "-Lo", "-p", join(dir, "snmpd.pid")],
    dir,
    env: { SNMP_PERSISTENT_DIR: dir, MIBS: "" },
    readiness: `snmpd answering the ${kind} outlet table on udp:127.0.0.1:${port}`,
    ready: async () => {
      try {
        return (await probe.column(`${subtree.slice(1)}`)).size > 0;
      } catch {
        return false;
      }
    },
  });
  return { host: "127.0.0.1", port: port!, stop: () => stopDaemon(daemon) };
}

/** A missing program fails the test loudly, naming the Debian package. */
function findProgram(name: string, path: string): string {
  try {
    execFileSync(path, ["-v"], { stdio: "ignore" });
    return path;
  } catch {
    throw new Error(`${name} is not installed at ${path}: apt-get install snmpd snmp (scripts/prepare does)`);
  }
}
