import { z } from "zod";
import { forgeAccounts } from "../forge/forges.js";
import { consulCall, type Consul } from "./client.js";
import { consulKeys } from "./keys.js";

/**
 * A repository's CI settings, stored in Consul KV in Albatros' shape so an
 * Albatros config keeps working: unknown keys are kept, not rejected.
 */
const jobId = z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a Nomad job id");
const flavor = z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a flavor name (letters, digits, _ . -)");
const globs = z.array(z.string().min(1)).min(1, "expected at least one pattern");
const flavors = z.array(flavor).min(1, "expected at least one flavor");

export const repoConfigSchema = z.looseObject({
  hook: z
    .looseObject({
      /** Albatros' shared token: `?token=` on the hook URL, or GitLab's X-Gitlab-Token. */
      token: z.string().min(1, "hook.token must not be empty").optional(),
      /** Gitea's webhook secret (HMAC-SHA256 of the body), or GitLab's secret token. */
      secret: z.string().min(1, "hook.secret must not be empty").optional(),
    })
    .refine((hook) => hook.token !== undefined || hook.secret !== undefined, "needs a token or a secret"),
  /** Petrel's account on the repository's forge, which its statuses are posted with. */
  ...forgeAccounts,
  trusted: z
    .looseObject({
      senders: z.array(z.string()).default([]),
      /** When set, only pushes to (and pull requests into) these branches may be trusted. */
      branches: globs.optional(),
      /** When set, only these tags may be trusted. */
      tags: globs.optional(),
    })
    .optional(),
  inject: z.string().optional(),
  /** The builder job of every flavor not named in `builders`. */
  builder: jobId.default("builder"),
  builders: z.record(flavor, jobId).optional(),
  /** Untrusted builds go here when set, to a builder with less access. */
  untrustedBuilder: jobId.optional(),
  /** Which refs build on push; all when unset. */
  branches: globs.optional(),
  tags: globs.optional(),
  /** The flavors each event builds, one child each; `["default"]` when unset. */
  flavors: z.looseObject({ push: flavors.optional(), tag: flavors.optional(), pull_request: flavors.optional() }).optional(),
  /** Stop an older running build of the same branch or pull request when a newer commit arrives. */
  autoCancel: z.boolean().default(true),
});

export type RepoConfig = z.infer<typeof repoConfigSchema>;
/** A config as written by hand: defaults may be left out. */
export type RepoConfigInput = z.input<typeof repoConfigSchema>;

/** A config read from KV that does not have the expected shape. */
export class RepoConfigError extends Error {
  constructor(readonly key: string, problem: string) {
    super(`repo config at '${key}' is invalid: ${problem}`);
    this.name = "RepoConfigError";
  }
}

/** Both keys are asked at once (a hook waits on one round trip, not two); the standard one wins when both exist. */
export async function readRepoConfig(consul: Consul, prefix: string, cloneUrl: string): Promise<RepoConfig | undefined> {
  const keys = [...new Set(consulKeys.repoConfig(prefix, cloneUrl))];
  const items = await Promise.all(keys.map((key) => consulCall(`GET kv ${key}`, () => consul.kv.get(key))));
  const found = items.findIndex((item) => Boolean(item?.Value));
  return found === -1 ? undefined : parseRepoConfig(keys[found]!, items[found]!.Value ?? "");
}

export function parseRepoConfig(key: string, text: string): RepoConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RepoConfigError(key, "not JSON");
  }
  const parsed = repoConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RepoConfigError(key, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Stores a config under the URL-safe key, the form that never nests folders. */
export async function writeRepoConfig(consul: Consul, prefix: string, cloneUrl: string, config: RepoConfigInput): Promise<string> {
  const key = consulKeys.repoConfig(prefix, cloneUrl)[1];
  await consulCall(`PUT kv ${key}`, () => consul.kv.set(key, JSON.stringify(config)));
  return key;
}
