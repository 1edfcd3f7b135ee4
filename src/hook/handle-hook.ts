import type { IncomingHttpHeaders } from "node:http";
import { approvalId, type Approvals, type AwaitingApproval } from "../approval/approvals.js";
import { NothingToApprove, type Approve } from "../approval/approve.js";
import { RepoConfigError, type RepoConfig } from "../consul/repo-config.js";
import type { RepoConfigs } from "../consul/repo-configs.js";
import type { DispatchBuilds, DispatchedBuild } from "../dispatch/dispatch-builds.js";
import { isApproval, isIgnored, type BuildRequest } from "../forge/build-request.js";
import { deliveryKey } from "./delivery-key.js";
import { decideTrust, type TrustDecision } from "../trust.js";
import { authenticateHook } from "./authenticate-hook.js";
import { HookError } from "./hook-error.js";
import { identifyHook, type HookSource } from "./identify.js";
import { selectFlavors } from "./select-flavors.js";

export type HookInput = {
  headers: IncomingHttpHeaders;
  body: Buffer;
  query: { token?: string | undefined; flavor?: string | undefined };
};

export type HookResult =
  | { outcome: "ignored"; source: HookSource; repo: string; reason: string }
  | { outcome: "awaiting"; source: HookSource; repo: string; config: RepoConfig; approval: AwaitingApproval }
  | { outcome: "dispatched"; source: HookSource; repo: string; config: RepoConfig; request: BuildRequest; trust: TrustDecision; builds: DispatchedBuild[] };

export type HookHandlerDeps = { repoConfigs: RepoConfigs; dispatchBuilds: DispatchBuilds; approvals: Approvals; approve: Approve };

/**
 * One hook from bytes to builds: who sent it, which repository, is it
 * authentic (checked against that repository's config as Consul has it now),
 * what it asks for, how far it is trusted, and the dispatched children — or,
 * for an untrusted event with no untrusted builder to go to, a record waiting
 * for approval.
 */
export function createHookHandler({ repoConfigs, dispatchBuilds, approvals, approve }: HookHandlerDeps) {
  return async function handleHook({ headers, body, query }: HookInput): Promise<HookResult> {
    const source = identifyHook(headers, query.token);
    const payload = parseJson(body);
    const repo = source.forge.repositoryUrl(payload);
    const config = await repoConfig(repoConfigs, repo);
    authenticateHook(source, { headers, body, queryToken: query.token }, config);

    const outcome = source.forge.parse(source.event, payload);
    if (isIgnored(outcome)) {
      if (outcome.closes !== undefined) await approvals.drop({ cloneUrl: repo, branch: outcome.closes });
      return { outcome: "ignored", source, repo, reason: outcome.ignored };
    }
    if (isApproval(outcome)) {
      const { ref, by } = outcome.approval;
      if (!config.trusted?.senders.includes(by)) return { outcome: "ignored", source, repo, reason: `${by} is not a trusted sender: only a trusted sender approves` };
      const approved = await approve(approvalId({ cloneUrl: repo, branch: ref }), by).catch((error: unknown) => {
        if (error instanceof NothingToApprove) return undefined;
        throw error;
      });
      if (!approved) return { outcome: "ignored", source, repo, reason: `nothing waits for approval on ${ref}` };
      return { outcome: "dispatched", source, repo, config, request: approved.request, trust: { trusted: false, reason: `approved by ${by}` }, builds: approved.builds };
    }
    const flavors = selectFlavors(outcome, config, query.flavor);
    if (!Array.isArray(flavors)) return { outcome: "ignored", source, repo, reason: flavors.ignored };

    const trust = decideTrust(outcome, config.trusted);
    // Untrusted code never builds where trusted builds do unless someone trusted says so.
    if (!trust.trusted && !config.untrustedBuilder) {
      return { outcome: "awaiting", source, repo, config, approval: await approvals.wait(outcome, flavors, trust.reason) };
    }
    const retryId = source.forge.eventOf(headers) === undefined ? undefined : source.forge.retryId({ headers, body });
    const delivery = retryId === undefined ? undefined : { key: deliveryKey(retryId, outcome), id: source.forge.deliveryId(headers) };
    const builds = await dispatchBuilds(outcome, config, { flavors, trust, delivery });
    return { outcome: "dispatched", source, repo, config, request: outcome, trust, builds };
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new HookError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

async function repoConfig(repoConfigs: RepoConfigs, repo: string): Promise<RepoConfig> {
  try {
    const config = await repoConfigs.get(repo);
    if (!config) throw new HookError(404, `no Petrel config for repository ${repo}`);
    return config;
  } catch (error) {
    // The repository's config is the operator's to fix; the sender did nothing wrong but can't be served.
    if (error instanceof RepoConfigError) throw new HookError(422, error.message);
    throw error;
  }
}
