import { z } from "zod";
import { consulCall, type Consul } from "../consul/client.js";
import { consulKeys } from "../consul/keys.js";

/**
 * Gateway config in Consul KV: `<prefix>/pdus/<name>` and `<prefix>/duts/<name>`,
 * one JSON object each. Every problem is reported with the field's path.
 */
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a name of letters, digits, _ . -");
const host = z.string().min(1, "expected a host name or address");
const port = z.number().int().min(1).max(65535, "expected a port 1-65535");
const ms = z.number().int("expected whole milliseconds").min(0);
const outletCount = z.number().int().min(1).max(256, "expected 1-256 outlets");
const credentials = { user: z.string().optional(), password: z.string().optional() };

/** What every driver shares: how control.ts treats it. */
const common = {
  minOffMs: ms.default(30_000),
  retries: z.number().int().min(0).max(10).default(3),
  retryDelayMs: ms.default(200),
  /** One request's limit (SNMP, HTTP, a shell command). */
  timeoutMs: ms.min(100).default(5_000),
};

const snmpCommon = { ...common, host, port: port.default(161), community: z.string().min(1).default("private") };
const stateMap = z.object({ on: z.number().int(), off: z.number().int() });
const oid = z.string().regex(/^\.?\d+(\.\d+)+$/, "expected a numeric OID such as 1.3.6.1.4.1.318.1.1.4.4.2.1.3").transform((o) => o.replace(/^\./, ""));

export const pduConfigSchema = z.discriminatedUnion("driver", [
  z.object({ driver: z.literal("apc"), ...snmpCommon }),
  z.object({ driver: z.literal("cyberpower"), ...snmpCommon }),
  z.object({
    driver: z.literal("snmp"),
    ...snmpCommon,
    control: oid,
    status: oid.optional(),
    command: stateMap.default({ on: 1, off: 2 }),
    state: stateMap.optional(),
  }),
  z.object({ driver: z.literal("tasmota"), ...common, host, port: port.default(80), outlets: outletCount.default(1), ...credentials }),
  z.object({ driver: z.literal("shelly"), ...common, host, port: port.default(80), generation: z.union([z.literal(1), z.literal(2)]), outlets: outletCount.default(1), ...credentials }),
  z.object({ driver: z.literal("shell"), ...common, on: z.string().min(1), off: z.string().min(1), status: z.string().min(1), outlets: z.array(z.number().int().min(1)).min(1) }),
  z.object({ driver: z.literal("virtual"), ...common, command: z.array(z.string()).min(1, "expected the program and its arguments"), outlets: outletCount, stateDir: z.string().min(1).optional() }),
], { error: (issue) => (issue.code === "invalid_union" ? "expected one of apc, cyberpower, snmp, tasmota, shelly, shell, virtual" : undefined) });

export type PduConfig = z.infer<typeof pduConfigSchema>;
export type PduConfigInput = z.input<typeof pduConfigSchema>;

const regex = z.string().min(1).refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, "expected a valid regular expression");

export const dutConfigSchema = z.object({
  pdu: name,
  outlet: z.number().int().min(1),
  console: z.union([
    z.object({ serial: z.string().min(1), baud: z.number().int().positive().default(115_200) }),
    z.object({ tcp: z.object({ host, port }) }),
  ], "expected {\"serial\":\"/dev/ttyUSB0\",\"baud\":115200} or {\"tcp\":{\"host\",\"port\"}}"),
  markers: z.object({
    sessionEnd: regex.optional(),
    success: regex.optional(),
    failure: regex.optional(),
    reboot: z.array(regex).default(["Kernel panic - not syncing"]),
  }).default({ reboot: ["Kernel panic - not syncing"] }),
  /**
   * Timers armed by a line, pushed back by another, disarmed by a third: a
   * board that stops making progress (a hung test, a stuck boot stage) is
   * booted again long before the silence timeout, if it still prints noise.
   */
  watchdogs: z.record(name, z.object({ start: regex, reset: regex.optional(), stop: regex.optional(), timeoutMs: ms.min(1) })).default({}),
  timeouts: z.object({
    firstActivityMs: ms.default(60_000),
    silenceMs: ms.default(300_000),
    overallMs: ms.default(3_600_000),
  }).default({ firstActivityMs: 60_000, silenceMs: 300_000, overallMs: 3_600_000 }),
  retries: z.number().int().min(0).max(10).default(2),
});

export type DutConfig = z.infer<typeof dutConfigSchema>;

/** A gateway config that is missing or has the wrong shape; the message names the key and the field. */
export class GatewayConfigError extends Error {
  constructor(readonly key: string, problem: string, readonly missing = false) {
    super(`${key}: ${problem}`);
    this.name = "GatewayConfigError";
  }
}

export function parseGatewayConfig<T>(schema: z.ZodType<T>, key: string, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayConfigError(key, "not JSON");
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "(root)";
  // A secret field's value is never echoed: zod's messages do not include values.
  throw new GatewayConfigError(key, `${field}: ${issue?.message ?? "invalid"}`);
}

async function readKey<T>(consul: Consul, schema: z.ZodType<T>, key: string, what: string): Promise<T> {
  const last = key.slice(key.lastIndexOf("/") + 1);
  if (!name.safeParse(last).success) throw new GatewayConfigError(key, `'${last}' is not a ${what} name (letters, digits, _ . -)`, true);
  const item = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
  if (!item?.Value) throw new GatewayConfigError(key, `no ${what} config in Consul KV`, true);
  return parseGatewayConfig(schema, key, item.Value);
}

export const readPduConfig = (consul: Consul, prefix: string, pdu: string) => readKey(consul, pduConfigSchema, consulKeys.pdu(prefix, pdu), "PDU");
export const readDutConfig = (consul: Consul, prefix: string, dut: string) => readKey(consul, dutConfigSchema, consulKeys.dut(prefix, dut), "DUT");
