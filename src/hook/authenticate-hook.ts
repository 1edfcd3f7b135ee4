import type { IncomingHttpHeaders } from "node:http";
import type { RepoConfig } from "../consul/repo-config.js";
import { sameSecret, validSignature } from "../forge/authenticate.js";
import { HookError } from "./hook-error.js";
import { header } from "../http-header.js";
import type { HookSource } from "./identify.js";

/**
 * Accepts a hook only with proof from the repo's config: Gitea's HMAC
 * signature of the exact body (when a secret is configured), GitLab's token
 * header, or Albatros' `?token=`. A signature that is present but wrong is a
 * refusal even when a token would match.
 */
export function authenticateHook(
  source: HookSource,
  { headers, body, queryToken }: { headers: IncomingHttpHeaders; body: Buffer; queryToken: string | undefined },
  { hook }: RepoConfig,
): void {
  const matchesToken = (given: string) => [hook.token, hook.secret].some((known) => known !== undefined && sameSecret(given, known));
  if (source.forge === "gitea") {
    // Without a secret Gitea still sends the headers, empty or a bare "sha256=".
    const signature = [header(headers, "x-gitea-signature"), header(headers, "x-hub-signature-256")]
      .map((value) => value?.replace(/^sha256=/i, ""))
      .find((value) => value !== undefined && value !== "");
    if (signature !== undefined && hook.secret !== undefined) {
      if (validSignature(hook.secret, body, signature)) return;
      throw new HookError(401, "the X-Gitea-Signature does not match the body signed with the repository's hook secret");
    }
  } else {
    const token = header(headers, "x-gitlab-token");
    if (token !== undefined) {
      if (matchesToken(token)) return;
      throw new HookError(401, "the X-Gitlab-Token does not match the repository's hook secret");
    }
  }
  if (queryToken !== undefined) {
    if (hook.token !== undefined && sameSecret(queryToken, hook.token)) return;
    throw new HookError(401, "the ?token= does not match the repository's hook token");
  }
  throw new HookError(401, source.forge === "gitea" ? "missing X-Gitea-Signature (or ?token=)" : "missing X-Gitlab-Token (or ?token=)");
}
