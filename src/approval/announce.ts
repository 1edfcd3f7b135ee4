import type { RepoConfig } from "../consul/repo-config.js";
import { statusPoster } from "../forge/forges.js";
import type { AwaitingApproval } from "./approvals.js";

/** Where a person sees (and, with the operator token, approves) what waits. */
export const approvalUrl = (publicUrl: string, id: string) => `${publicUrl}/build/approval?id=${id}`;

/**
 * Tells the forge that the commit waits for approval: a pending status per
 * flavor, in the context its build will report under, linking to the record.
 */
export async function announceAwaiting(config: RepoConfig, approval: AwaitingApproval, publicUrl: string): Promise<void> {
  const { request } = approval;
  const post = statusPoster(config, request);
  if (!post) return;
  const description = `awaiting approval: ${approval.reason}`.slice(0, 140);
  for (const flavor of approval.flavors) {
    await post({ state: "pending", context: `petrel/${flavor}`, targetUrl: approvalUrl(publicUrl, approval.id), description });
  }
}
