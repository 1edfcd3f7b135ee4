import { z } from "zod";
import { consulCall, type Consul } from "./client.js";
import { consulKeys } from "./keys.js";

/**
 * A gateway's boot configuration, at `<prefix>/gateways/<sha256 fingerprint
 * of its client certificate>`: what its iPXE script boots, the kernel
 * arguments only a one-time URL hands out, and files for that gateway alone.
 */
export const gatewayConfigSchema = z.looseObject({
  name: z.string().min(1).optional(),
  kernel: z.url(),
  initrd: z.url().optional(),
  /** Public kernel arguments, e.g. boot2container's `b2c.container=…`. */
  // One line: it becomes an iPXE `set` line, and a newline would add commands to the script.
  args: z.string().regex(/^[^\r\n]*$/, "must be one line").default(""),
  /** Secret kernel arguments (`b2c.minio=…`), served once through `${secrets_url}`. */
  secretArgs: z.string().default(""),
  /** The iPXE script after Petrel's `set` lines; iPXE expands `${kernel}`, `${initrd}`, `${args}`, `${secrets_url}`. */
  script: z.string().optional(),
  files: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a plain file name"), z.string()).default({}),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export class GatewayConfigError extends Error {
  readonly status = 422;
  constructor(key: string, problem: string) {
    super(`gateway config at '${key}' is invalid: ${problem}`);
    this.name = "GatewayConfigError";
  }
}

export async function readGatewayConfig(consul: Consul, prefix: string, fingerprint: string): Promise<GatewayConfig | undefined> {
  const key = consulKeys.gateway(prefix, fingerprint);
  const item = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
  if (!item?.Value) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(item.Value);
  } catch {
    throw new GatewayConfigError(key, "not JSON");
  }
  const parsed = gatewayConfigSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GatewayConfigError(key, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
}
