import { consulCall, type Consul } from "../consul/client.js";
import type { KvEntry } from "../consul/sweep-keys.js";
import { UpstreamError } from "../upstream-error.js";

export type Latest = { job: string; commit: string };
/** A key written in the swap's own transaction, made from the build the swap replaces. */
export type NoteOnSwap = (replaced: Latest) => { key: string; value: string };

/** Keys this process swapped lately, each with what it holds and Consul's index of that. */
const remembered = 4096;

type Known = { latest: Latest | undefined; index: number };
type KvOperation = { KV: { Verb: "cas"; Key: string; Value: string; Index: number } | { Verb: "set"; Key: string; Value: string } };
type CasAnswer = { Results: { KV: { ModifyIndex: number } }[] };

/**
 * The latest build of each branch-and-flavor, one Consul key each, swapped
 * with a check-and-set. A swap first tries the index this process last saw
 * at the key (none: the key must not exist yet) in one transaction, which
 * answers the key's new index: in steady state a swap is one write and no
 * read. A key another replica or the janitor changed since fails that try,
 * and is then read and swapped again; a try refused while the key still holds
 * what it was checked against (a token that may not write it) is given up.
 * A note about the replaced build goes in the same transaction, so it
 * costs no write of its own and is there exactly when the swap is.
 */
export function createLatestBuilds(consul: Consul) {
  const known = new Map<string, Known>();
  /** The swap each key is waiting on in this process. */
  const swapping = new Map<string, Promise<unknown>>();

  const remember = (key: string, value: Known) => {
    known.delete(key);
    known.set(key, value);
    if (known.size > remembered) known.delete(known.keys().next().value!);
  };

  /** The key's new index, or Consul's refusal (409): the key no longer holds what `index` says, or the token may not write it. */
  async function swapAt(key: string, latest: Latest, index: number, note: { key: string; value: string } | undefined): Promise<{ index: number } | { refusal: UpstreamError }> {
    const base64 = (value: string) => Buffer.from(value).toString("base64");
    try {
      const operations: KvOperation[] = [{ KV: { Verb: "cas", Key: key, Value: base64(JSON.stringify(latest)), Index: index } }];
      if (note) operations.push({ KV: { Verb: "set", Key: note.key, Value: base64(note.value) } });
      const answer = await consul.txn<CasAnswer>(operations);
      return { index: answer.Results[0]!.KV.ModifyIndex };
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 409) return { refusal: error };
      throw error;
    }
  }

  async function swapOnce(key: string, latest: Latest, noteOn: NoteOnSwap | undefined): Promise<Latest | undefined> {
    let current = known.get(key) ?? { latest: undefined, index: 0 };
    for (;;) {
      if (current.latest?.job === latest.job) return undefined;
      const swapped = await swapAt(key, latest, current.index, current.latest && noteOn?.(current.latest));
      if ("index" in swapped) {
        remember(key, { latest, index: swapped.index });
        return current.latest;
      }
      const read = await consulCall(`GET kv ${key}`, () => consul.kv.get(key));
      const now = { latest: read?.Value ? (JSON.parse(read.Value) as Latest) : undefined, index: read?.ModifyIndex ?? 0 };
      // The key holds what the swap was checked against, so the check did not fail: Consul refused the
      // write itself (a token that may read the key but not write it). Trying again would loop.
      if (now.index === current.index) throw swapped.refusal;
      current = now;
    }
  }

  /**
   * Makes `latest` the key's build and answers the one it replaced, with
   * `noteOn`'s key about that one written along. Swaps racing on one key
   * take their turns here, so a check-and-set only ever races another
   * replica's: racing each other, each would read, lose and read again, some
   * fifty times over for fifty pushes at once.
   */
  return function swapLatest(key: string, latest: Latest, noteOn?: NoteOnSwap): Promise<Latest | undefined> {
    const swapped = (swapping.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => swapOnce(key, latest, noteOn));
    swapping.set(key, swapped);
    void swapped.catch(() => undefined).finally(() => swapping.get(key) === swapped && swapping.delete(key));
    return swapped;
  };
}

/** The latest build of a branch can go once it runs no more: a newer build would have nothing to stop. */
export function latestOver(entry: KvEntry, running: ReadonlySet<string>): boolean {
  try {
    const { job } = JSON.parse(entry.Value ?? "") as Partial<Latest>;
    return typeof job === "string" && !running.has(job);
  } catch {
    return false;
  }
}
