import { z } from "zod";
import { consulCall, type Consul } from "./client.js";
import { consulKeys } from "./keys.js";

/**
 * A gateway's boot configuration, at `<prefix>/gateways/<sha256 fingerprint
 * of its client certificate>`: what its iPXE script boots, the kernel
 * arguments only a one-time URL hands out, and files for that gateway alone.
 */
// Each value becomes an iPXE `set` line: a control character (a newline) would add commands to the script.
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const oneLine = /^[^\x00-\x1f\x7f]*$/;
const scriptUrl = z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, "must be a URL (http://, https://, tftp://…) without spaces or control characters");

export const gatewayConfigSchema = z.looseObject({
  name: z.string().min(1).regex(oneLine, "must be one line without control characters").optional(),
  kernel: scriptUrl,
  initrd: scriptUrl.optional(),
  /** Public kernel arguments, e.g. boot2container's `b2c.container=…`. */
  args: z.string().regex(oneLine, "must be one line without control characters").default(""),
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
