import type { RepoConfig } from "../consul/repo-config.js";
import type { HookRequest } from "../forge/forge.js";
import { sameSecret } from "../same-secret.js";
import { HookError } from "./hook-error.js";
import type { HookSource } from "./identify.js";

/**
 * Accepts a hook only with proof from the repo's config: the forge's own
 * (Gitea's HMAC signature of the exact body, GitLab's token header), or
 * Albatros' `?token=`. A forge proof that is present but wrong is a refusal
 * even when a token would match.
 */
export function authenticateHook(source: HookSource, hook: HookRequest & { queryToken: string | undefined }, { hook: secrets }: RepoConfig): void {
  const proof = source.forge.verify(hook, secrets);
  if (proof?.valid) return;
  if (proof) throw new HookError(401, `the ${proof.header} does not match the repository's hook secret`);
  if (hook.queryToken !== undefined) {
    if (secrets.token !== undefined && sameSecret(hook.queryToken, secrets.token)) return;
    throw new HookError(401, "the ?token= does not match the repository's hook token");
  }
  throw new HookError(401, `missing ${source.forge.proofHeader} (or ?token=)`);
}
