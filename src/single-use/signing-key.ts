import { randomBytes } from "node:crypto";
import { consulCall, type Consul } from "../consul/client.js";
import { consulKeys } from "../consul/keys.js";

/**
 * The HMAC key that signs single-use tokens, kept in Consul so every Petrel
 * replica signs and verifies alike. Whichever replica starts first creates it
 * with a check-and-set on index 0; the others read what won.
 */
export async function loadSigningKey(consul: Consul, prefix: string): Promise<Uint8Array> {
  const key = consulKeys.signingKey(prefix);
  const read = async () => {
    const item = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
    return item?.Value ? Buffer.from(item.Value, "base64") : undefined;
  };
  const existing = await read();
  if (existing && existing.length >= 32) return existing;
  const fresh = randomBytes(32).toString("base64");
  await consulCall(`PUT kv ${key}`, () => consul.kv.set({ key, value: fresh, cas: 0 }));
  const stored = await read();
  if (!stored || stored.length < 32) throw new Error(`the single-use signing key at '${key}' is missing or shorter than 32 bytes`);
  return stored;
}
