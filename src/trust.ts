import picomatch from "picomatch";
import type { BuildRequest } from "./forge/build-request.js";

export type TrustRules = { senders: string[]; branches?: string[] | undefined; tags?: string[] | undefined };
export type TrustDecision = { trusted: boolean; reason: string };

/**
 * Whether a build may see the repository's secrets and use the trusted
 * builder. Trust needs a trusted sender; a pull request from a fork also needs
 * a trusted author (its code is theirs); and where branch or tag rules exist,
 * the ref must match them. Anything the payload can't vouch for is untrusted.
 */
export function decideTrust(request: BuildRequest, rules: TrustRules | undefined): TrustDecision {
  const senders = new Set(rules?.senders ?? []);
  const pr = request.pullRequest;
  if (pr && pr.fromFork !== false) {
    const origin = pr.fromFork ? "a fork" : "a head repository the payload doesn't name";
    if (pr.author === undefined || !senders.has(pr.author)) {
      return untrusted(`pull request #${pr.number} comes from ${origin} and its author ${pr.author ?? "(unknown)"} is not a trusted sender`);
    }
  }
  if (!senders.has(request.sender)) return untrusted(`sender ${request.sender} is not a trusted sender`);

  const ref = refRule(request, rules);
  if (ref && !picomatch.isMatch(ref.name, ref.patterns)) return untrusted(`${ref.kind} ${ref.name} matches no trusted.${ref.kind === "tag" ? "tags" : "branches"} pattern`);
  return { trusted: true, reason: pr ? `pull request #${pr.number} by trusted ${request.sender}` : `pushed by trusted ${request.sender}` };
}

function refRule(request: BuildRequest, rules: TrustRules | undefined): { kind: "branch" | "tag"; name: string; patterns: string[] } | undefined {
  if (request.event === "tag") return rules?.tags && { kind: "tag", name: request.branch.replace(/^refs\/tags\//, ""), patterns: rules.tags };
  // A pull request is judged by the branch it wants to change.
  const name = request.pullRequest?.targetBranch ?? request.branch;
  return rules?.branches && { kind: "branch", name, patterns: rules.branches };
}

const untrusted = (reason: string): TrustDecision => ({ trusted: false, reason });
