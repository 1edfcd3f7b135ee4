import type { BuildRequest } from "../forge/build-request.js";
import type { TrustDecision } from "../trust.js";

/**
 * Everything Petrel needs to remember about a build, as the dispatched job's
 * meta: `nomad job status` shows it to a person debugging, and a restarted
 * Petrel finds all it needs to report the build in Nomad alone. The first four
 * are the Albatros builder contract; the rest are Petrel's, optional.
 */
export function toBuildMeta(request: BuildRequest, flavor: string, trust: TrustDecision, delivery: string | undefined): Record<string, string> {
  const meta: Record<string, string> = {
    REPO_URL: request.cloneUrl,
    COMMIT: request.commit,
    BRANCH: request.branch,
    FLAVOR: flavor,
    FORGE: request.forge,
    FORGE_URL: request.forgeUrl,
    FORGE_REPO: request.forgeRepo,
    STATUS_CONTEXT: `petrel/${flavor}`,
    SENDER: request.sender,
    EVENT: request.event,
    TRUSTED: String(trust.trusted),
    TRUST_REASON: trust.reason,
  };
  if (delivery !== undefined) meta.DELIVERY = delivery;
  if (request.pullRequest) meta.PR = String(request.pullRequest.number);
  return meta;
}

/** Petrel's optional keys, as the builder job must list them in `meta_optional`. */
export const petrelMetaKeys = ["SECRETS_URL", "FORGE", "FORGE_URL", "FORGE_REPO", "STATUS_CONTEXT", "SENDER", "DELIVERY", "EVENT", "PR", "TRUSTED", "TRUST_REASON"];
