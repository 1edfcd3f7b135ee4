import { EventEmitter } from "node:events";
import type { Logger } from "../log.js";
import { consulCall, type Consul } from "./client.js";
import { consulKeys } from "./keys.js";
import { parseRepoConfig, readRepoConfig, RepoConfigError, type RepoConfig } from "./repo-config.js";
import type { KvEntry } from "./sweep-keys.js";

/** Every repository's config as Petrel reads it: `get` answers the config of a clone URL, or undefined. */
export type RepoConfigs = { get: (cloneUrl: string) => Promise<RepoConfig | undefined>; stop: () => void };

export type RepoConfigsDeps = { consul: Consul; prefix: string; logger: Logger };

/**
 * The key prefix of every http(s) clone URL's config: base64 of "http" begins
 * `aHR0c` in both of the alphabets the configs are stored under, and nothing
 * Petrel writes itself (all under `_petrel/`) begins so.
 */
const httpKeys = (prefix: string) => `${prefix}/aHR0c`;

/** How long one blocking query waits for a change before Consul answers unchanged. */
const waitSeconds = 300;
const retryMs = 1_000;

/**
 * Repository configs served from memory, kept current by one Consul blocking
 * query on the keys of every http(s) clone URL's config: a hook or a status
 * asks Consul nothing, and an edit reaches Petrel as soon as Consul answers
 * the query, milliseconds after the write. Consul is read directly, as
 * before, for a config not in memory (written a moment ago, or absent), a
 * clone URL of another scheme, and whenever the query is not current (not
 * answered yet, or failed: Consul gone answers 503 then, never an old config).
 */
export function followRepoConfigs({ consul, prefix, logger }: RepoConfigsDeps): RepoConfigs {
  const watched = httpKeys(prefix);
  let entries = new Map<string, Known>();
  let current = false;
  let stopped = false;
  // The consul client aborts a request whose context emits "cancel".
  const context = Object.assign(new EventEmitter(), { includeResponse: true as const });

  void (async () => {
    let index = 0;
    while (!stopped) {
      try {
        const query = { key: watched, recurse: true as const, index, wait: `${waitSeconds}s`, timeout: (waitSeconds + 30) * 1000, ctx: context };
        const [response, data] = await consulCall(`GET kv ${watched} (blocking)`, () => blockingGet(consul)(query));
        const next = Number(response.headers["x-consul-index"]);
        if (!(next > 0)) throw new Error(`Consul answered the query with index ${response.headers["x-consul-index"]}`);
        // An index going backwards means Consul's state was restored: start over.
        index = next < index ? 0 : next;
        entries = remember(data ?? [], entries);
        current = true;
      } catch (error) {
        current = false;
        if (stopped) break;
        logger.warn({ err: (error as Error).message }, "lost the repository configs' query on Consul; reading them from Consul meanwhile");
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
      }
    }
  })();

  return {
    async get(cloneUrl) {
      // The standard key wins when both exist, as in readRepoConfig.
      const keys = [...new Set(consulKeys.repoConfig(prefix, cloneUrl))];
      if (current && keys.every((key) => key.startsWith(watched))) {
        const known = keys.map((key) => entries.get(key)).find((entry) => entry !== undefined);
        if (known) return configOf(known);
      }
      return readRepoConfig(consul, prefix, cloneUrl);
    },
    stop() {
      stopped = true;
      current = false;
      context.emit("cancel");
    },
  };
}

type BlockingGet = { key: string; recurse: true; index: number; wait: string; timeout: number; ctx: EventEmitter & { includeResponse: true } };
type BlockingAnswer = [response: { headers: Record<string, string | undefined> }, entries: KvEntry[] | undefined];

/**
 * The client's kv.get as a blocking query: it sends `index` and `wait`, and
 * with `ctx.includeResponse` answers the response (its X-Consul-Index) beside
 * the entries. Its type declarations know none of these options.
 */
const blockingGet = (consul: Consul) => consul.kv.get.bind(consul.kv) as unknown as (options: BlockingGet) => Promise<BlockingAnswer>;

/** A config as Consul last answered it, parsed once per write. */
type Known = { key: string; modifyIndex: number; value: string; parsed?: RepoConfig | RepoConfigError };

function remember(data: KvEntry[], before: Map<string, Known>): Map<string, Known> {
  const after = new Map<string, Known>();
  for (const entry of data) {
    if (!entry.Value) continue;
    const kept = before.get(entry.Key);
    after.set(entry.Key, kept?.modifyIndex === entry.ModifyIndex ? kept : { key: entry.Key, modifyIndex: entry.ModifyIndex, value: entry.Value });
  }
  return after;
}

function configOf(known: Known): RepoConfig {
  if (known.parsed === undefined) {
    try {
      known.parsed = parseRepoConfig(known.key, known.value);
    } catch (error) {
      if (!(error instanceof RepoConfigError)) throw error;
      known.parsed = error;
    }
  }
  if (known.parsed instanceof RepoConfigError) throw known.parsed;
  return known.parsed;
}
