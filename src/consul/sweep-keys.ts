import { consulCall, type Consul } from "./client.js";

export type KvEntry = { Key: string; Value: string | null; ModifyIndex: number };

/** Every key under a folder, with its value and the index it was last written at. */
export async function listKeys(consul: Consul, folder: string): Promise<KvEntry[]> {
  const entries = await consulCall(`GET kv ${folder} (recurse)`, () => consul.kv.get({ key: folder, recurse: true }));
  return Array.isArray(entries) ? entries : [];
}

/**
 * Deletes the entries `stale` picks, each only if nobody wrote it since it
 * was read (check-and-set on its index): a key written again meanwhile
 * matters again, and several replicas sweeping at once delete nothing twice.
 */
export async function deleteStale(consul: Consul, entries: KvEntry[], stale: (entry: KvEntry) => boolean): Promise<number> {
  let deleted = 0;
  for (const entry of entries.filter(stale)) {
    if (await consulCall(`DELETE kv ${entry.Key}`, () => consul.kv.del({ key: entry.Key, cas: entry.ModifyIndex }))) deleted += 1;
  }
  return deleted;
}
