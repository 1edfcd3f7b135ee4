import picomatch from "picomatch";
import type { BuildRequest } from "./forge/build-request.js";

export type TrustRules = { senders: string[]; branches?: string[] | undefined; tags?: string[] | undefined };
export type TrustDecision = { trusted: boolean; reason: string };

/**
 * Whether a build may see the repository's secrets and use the trusted
 * builder. Trust needs a trusted sender; a pull request also needs a trusted
 * author, fork or not (its code is theirs, and anyone who can read a
 * repository can open one from a branch of it, e.g. with Gitea's AGit flow);
 * and once branch or tag rules exist, the ref must match its kind's rule: a
 * kind without a rule of its own is never trusted. Anything the payload can't
 * vouch for is untrusted.
 */
export function decideTrust(request: BuildRequest, rules: TrustRules | undefined): TrustDecision {
  const senders = new Set(rules?.senders ?? []);
  const pr = request.pullRequest;
  if (pr && (pr.author === undefined || !senders.has(pr.author))) {
    const origin = pr.fromFork === true ? "a fork" : pr.fromFork === false ? "this repository" : "a head repository the payload doesn't name";
    return untrusted(`pull request #${pr.number} comes from ${origin} and its author ${pr.author ?? "(unknown)"} is not a trusted sender`);
  }
  if (!senders.has(request.sender)) return untrusted(`sender ${request.sender} is not a trusted sender`);

  const ref = refRule(request, rules);
  if (ref && !picomatch.isMatch(ref.name, ref.patterns)) {
    const rule = `trusted.${ref.kind === "tag" ? "tags" : "branches"}`;
    return untrusted(ref.patterns.length === 0 ? `${ref.kind} ${ref.name}: ${rule} is not set, and trusted refs are limited by a rule` : `${ref.kind} ${ref.name} matches no ${rule} pattern`);
  }
  return { trusted: true, reason: pr ? `pull request #${pr.number} by trusted ${pr.author}${pr.author === request.sender ? "" : `, sent by trusted ${request.sender}`}` : `pushed by trusted ${request.sender}` };
}

/** The ref's rule, once any rule limits refs; none at all means every ref of a trusted sender. */
function refRule(request: BuildRequest, rules: TrustRules | undefined): { kind: "branch" | "tag"; name: string; patterns: string[] } | undefined {
  if (rules?.branches === undefined && rules?.tags === undefined) return undefined;
  if (request.event === "tag") return { kind: "tag", name: request.branch.replace(/^refs\/tags\//, ""), patterns: rules.tags ?? [] };
  // A pull request is judged by the branch it wants to change.
  return { kind: "branch", name: request.pullRequest?.targetBranch ?? request.branch, patterns: rules.branches ?? [] };
}

const untrusted = (reason: string): TrustDecision => ({ trusted: false, reason });
