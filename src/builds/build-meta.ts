import type { BuildRequest } from "../forge/build-request.js";
import { forgeNamed } from "../forge/forges.js";
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
  const pr = request.pullRequest;
  if (pr) {
    meta.PR = String(pr.number);
    meta.PR_TARGET = pr.targetBranch;
    if (pr.author !== undefined) meta.PR_AUTHOR = pr.author;
  }
  return meta;
}

/**
 * The request a build was dispatched for, as far as its meta remembers it:
 * enough to decide its trust again (a rerun). What the meta lacks (a builder
 * that takes only the Albatros keys) leaves nobody to trust.
 */
export function fromBuildMeta(meta: Readonly<Record<string, string | undefined>>): BuildRequest {
  const forge = forgeNamed(meta.FORGE).name;
  const event = meta.EVENT === "tag" || meta.EVENT === "pull_request" ? meta.EVENT : "push";
  const number = Number(meta.PR);
  return {
    forge,
    event,
    cloneUrl: meta.REPO_URL ?? "",
    commit: meta.COMMIT ?? "",
    branch: meta.BRANCH ?? "",
    sender: meta.SENDER ?? "",
    forgeUrl: meta.FORGE_URL ?? "",
    forgeRepo: meta.FORGE_REPO ?? "",
    ...(event === "pull_request" || meta.PR
      ? { pullRequest: { number: Number.isInteger(number) ? number : 0, fromFork: undefined, author: meta.PR_AUTHOR, targetBranch: meta.PR_TARGET ?? "" } }
      : {}),
  };
}

/** The meta every build has, whatever dispatched it (the Albatros contract's own keys); the missing ones. */
export const missingBuildMeta = (meta: Readonly<Record<string, string | undefined>>): string[] => ["REPO_URL", "COMMIT"].filter((key) => !meta[key]);

/** Petrel's optional keys, as the builder job must list them in `meta_optional`. */
export const petrelMetaKeys = ["SECRETS_URL", "FORGE", "FORGE_URL", "FORGE_REPO", "STATUS_CONTEXT", "SENDER", "DELIVERY", "EVENT", "PR", "PR_AUTHOR", "PR_TARGET", "TRUSTED", "TRUST_REASON"];
