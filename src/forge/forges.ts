import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import type { ForgeName } from "./build-request.js";
import type { CommitStatus, Forge, ForgeAccount } from "./forge.js";
import { gitea } from "./gitea.js";
import { gitlab } from "./gitlab.js";

/** Every forge Petrel speaks to; a new one is a translator (`forge.ts`) added here. */
const forges: readonly Forge[] = [gitea, gitlab];

/** The translator of a forge named by a build's meta; Gitea for a build from before forges were named. */
export const forgeNamed = (name: string | undefined): Forge => forges.find((forge) => forge.name === name) ?? gitea;

/**
 * Which forge sent a hook and what event it names. Albatros' form — `?token=`
 * with a Gitea push body and no event header — is a Gitea push; it has no
 * delivery to repeat.
 */
export type HookSource = { forge: Forge; event: string; albatros: boolean };

export function recogniseHook(headers: IncomingHttpHeaders, albatros: boolean): HookSource | undefined {
  for (const forge of forges) {
    const event = forge.eventOf(headers);
    if (event !== undefined) return { forge, event, albatros };
  }
  return albatros ? { forge: gitea, event: "push", albatros } : undefined;
}

/** What a hook request without any forge's headers should have carried. */
export const eventHeaders = forges.map((forge) => forge.eventHeader);

export const forgeSecretHeaders = forges.flatMap((forge) => forge.secretHeaders);

/** The delivery id of whichever forge sent a request, for its log lines. */
export const deliveryIdOf = (headers: IncomingHttpHeaders): string | undefined =>
  forges.map((forge) => forge.deliveryId(headers)).find((id) => id !== undefined);

/** The account settings a repository's config may hold per forge, keyed by the forge's name. */
export const forgeAccounts = {
  gitea: z.looseObject({ url: z.url(), token: z.string() }).optional(),
  gitlab: z.looseObject({ url: z.url(), token: z.string(), project: z.union([z.string(), z.number()]).optional() }).optional(),
} satisfies Record<ForgeName, z.ZodType<ForgeAccount | undefined>>;

export type ForgeAccounts = { [name in ForgeName]?: ForgeAccount | undefined };

/** A build's place on its forge: the meta it was dispatched with names them. */
export type StatusSubject = { forge: string | undefined; forgeRepo: string | undefined; commit: string };

/** Posts a build's commit statuses with the repository's account on its forge; undefined when it has none there. */
export function statusPoster(accounts: ForgeAccounts, { forge: name, forgeRepo, commit }: StatusSubject): ((status: CommitStatus) => Promise<void>) | undefined {
  const forge = forgeNamed(name);
  const account = accounts[forge.name];
  if (!account || (!forgeRepo && account.project === undefined)) return undefined;
  return (status) => forge.postStatus(account, forgeRepo ?? "", commit, status);
}

/** A build's commit on its forge, from its meta; none when the meta lacks the forge or its address is not http(s). */
export function commitLink(meta: Readonly<Record<string, string | undefined>>): string | undefined {
  const { FORGE_URL: forgeUrl, FORGE_REPO: forgeRepo, COMMIT: commit } = meta;
  if (!forgeUrl || !forgeRepo || !commit || !/^https?:\/\//i.test(forgeUrl)) return undefined;
  return forgeNamed(meta.FORGE).commitUrl(forgeUrl.replace(/\/+$/, ""), forgeRepo, commit);
}
