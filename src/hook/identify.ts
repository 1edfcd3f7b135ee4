import type { IncomingHttpHeaders } from "node:http";
import type { Forge } from "../forge/build-request.js";
import { header } from "../http-header.js";
import { HookError } from "./hook-error.js";

/**
 * Which forge sent a hook and what event it is. Albatros' form — `?token=`
 * with a Gitea push body and no event header — is a Gitea push.
 */
export type HookSource = { forge: Forge; event: string; albatros: boolean };

export function identifyHook(headers: IncomingHttpHeaders, queryToken: string | undefined): HookSource {
  const albatros = queryToken !== undefined;
  const gitea = header(headers, "x-gitea-event") ?? header(headers, "x-gogs-event");
  if (gitea) return { forge: "gitea", event: gitea, albatros };
  const gitlab = header(headers, "x-gitlab-event");
  if (gitlab) return { forge: "gitlab", event: gitlab, albatros };
  if (albatros) return { forge: "gitea", event: "push", albatros };
  throw new HookError(400, "unknown sender: expected an X-Gitea-Event or X-Gitlab-Event header, or ?token= (Albatros form)");
}

/** The clone URL a payload is about, found before anything else so the repo's secrets can be looked up. */
export function repositoryUrl(forge: Forge, payload: unknown): string {
  const [outer, inner] = forge === "gitea" ? ["repository", "clone_url"] : ["project", "git_http_url"];
  const holder = (payload as Record<string, unknown> | null)?.[outer];
  const url = typeof holder === "object" && holder !== null ? (holder as Record<string, unknown>)[inner] : undefined;
  if (typeof url !== "string" || url === "") throw new HookError(400, `${outer}.${inner}: missing; the payload doesn't name its repository`);
  return url;
}
