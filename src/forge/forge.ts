import type { IncomingHttpHeaders } from "node:http";
import type { ForgeName, HookOutcome } from "./build-request.js";

/** A webhook as it arrived: its signature covers these exact bytes. */
export type HookRequest = { headers: IncomingHttpHeaders; body: Buffer };

/** A repository's hook credentials, from its config. */
export type HookSecrets = { token?: string | undefined; secret?: string | undefined };

/** The proof a hook carried, named by the header that carried it, and whether it holds. */
export type Proof = { header: string; valid: boolean };

/** Petrel's account on a forge, from the repository's config: where its API is and the token statuses are posted with. */
export type ForgeAccount = { url: string; token: string; project?: string | number | undefined };

/** What a commit status can say of a build; each forge maps these to its own. */
export type StatusState = "pending" | "running" | "success" | "failure" | "error" | "canceled";
export type CommitStatus = { state: StatusState; context: string; targetUrl: string; description: string };

/**
 * Everything Petrel knows about one forge, and the only place it is known:
 * how its webhooks look, what they mean, and how statuses go back to it.
 * Each forge is one translator of this shape, listed in `forges.ts`.
 */
export type Forge = {
  readonly name: ForgeName;
  /** The header naming a hook's event, which tells this forge's hooks from others'. */
  readonly eventHeader: string;
  /** The event a hook names, when this forge sent it; undefined when it didn't. */
  eventOf(headers: IncomingHttpHeaders): string | undefined;
  /** The event names Petrel reads from this forge: metrics count any other as "other". */
  readonly events: readonly string[];
  /** This delivery's id, which puts one hook's log lines together. */
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  /** What stays the same when the forge delivers one event again (its retries, a resend, a replay). */
  retryId(hook: HookRequest): string | undefined;
  /** The clone URL a payload is about, read before anything else so the repository's config can be looked up. */
  repositoryUrl(payload: unknown): string;
  /** Headers of its hooks that carry a secret or a proof of one: never logged. */
  readonly secretHeaders: readonly string[];
  /** The header that proves a hook authentic, named when it is missing. */
  readonly proofHeader: string;
  /** The proof the hook carries, checked against the repository's credentials; undefined when it carries none they can check. */
  verify(hook: HookRequest, secrets: HookSecrets): Proof | undefined;
  /** The hook as a build request, an approval, or the reason it doesn't build. */
  parse(event: string, payload: unknown): HookOutcome;
  /** The commit's page on the forge, for people: `forgeUrl` is the forge's base, as a build request has it. */
  commitUrl(forgeUrl: string, forgeRepo: string, commit: string): string;
  /** Posts one commit status to the repository (`forgeRepo` of its build request) with the account's token. */
  postStatus(account: ForgeAccount, forgeRepo: string, commit: string, status: CommitStatus): Promise<void>;
};
