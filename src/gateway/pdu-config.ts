import { z } from "zod";
import { consulCall, type Consul } from "../consul/client.js";
import { createApcDriver } from "./pdu/apc.js";
import type { PduDriver } from "./pdu/driver.js";

/** A PDU's config at `<prefix>/pdus/<name>`. */
export const pduConfigSchema = z.discriminatedUnion("driver", [
  z.looseObject({
    driver: z.literal("apc"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(161),
    community: z.string().min(1).default("private"),
    timeoutMs: z.number().int().min(100).default(2000),
    minOffSeconds: z.number().min(0).default(30),
    retries: z.number().int().min(0).max(10).default(3),
  }),
]);

export type PduConfig = z.infer<typeof pduConfigSchema>;

export class PduConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PduConfigError";
  }
}

export async function readPduConfig(consul: Consul, prefix: string, name: string): Promise<PduConfig> {
  const key = `${prefix}/pdus/${name}`;
  const item = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
  if (!item?.Value) throw new PduConfigError(`no PDU '${name}': nothing at ${key} in Consul KV`);
  let json: unknown;
  try {
    json = JSON.parse(item.Value);
  } catch {
    throw new PduConfigError(`PDU config at '${key}' is not JSON`);
  }
  const parsed = pduConfigSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PduConfigError(`PDU config at '${key}' is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
}

export function createPduDriver(name: string, config: PduConfig): PduDriver {
  return createApcDriver({ pdu: name, host: config.host, port: config.port, community: config.community, timeoutMs: config.timeoutMs });
}
