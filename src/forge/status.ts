import fetch from "node-fetch";
import type { BuildStateName } from "../report/build-state.js";
import type { RepoConfig } from "../consul/repo-config.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";
import type { Forge } from "./build-request.js";

export type CommitStatus = { state: BuildStateName; context: string; targetUrl: string; description: string };
export type StatusTarget = { forge: "gitea" | "gitlab"; url: string; token: string; repo: string; commit: string };

/**
 * Where a repository's statuses go: its config's forge account, its id on the
 * forge (GitLab: the config's project, else the path), the commit; none when
 * the config has no credentials for that forge.
 */
export function statusTargetOf(config: RepoConfig, forge: Forge, forgeRepo: string | undefined, commit: string): StatusTarget | undefined {
  const account = config[forge];
  const repo = forge === "gitlab" ? String(config.gitlab?.project ?? forgeRepo ?? "") : forgeRepo;
  if (!account || !repo) return undefined;
  return { forge, url: account.url, token: account.token, repo, commit };
}

/** Gitea knows pending/success/failure/error; GitLab also running and canceled. */
const giteaStates: Record<BuildStateName, string> = { pending: "pending", running: "pending", success: "success", failure: "failure", error: "error", canceled: "error" };
const gitlabStates: Record<BuildStateName, string> = { pending: "pending", running: "running", success: "success", failure: "failed", error: "failed", canceled: "canceled" };

/** Posts one commit status to the forge; its refusals and its absence are told apart like Nomad's. */
export async function postCommitStatus(target: StatusTarget, status: CommitStatus): Promise<void> {
  const base = target.url.replace(/\/+$/, "");
  const [url, headers, body] =
    target.forge === "gitea"
      ? [
          `${base}/api/v1/repos/${target.repo.split("/").map(encodeURIComponent).join("/")}/statuses/${encodeURIComponent(target.commit)}`,
          { authorization: `token ${target.token}` },
          { state: giteaStates[status.state], context: status.context, target_url: status.targetUrl, description: status.description },
        ]
      : [
          `${base}/api/v4/projects/${encodeURIComponent(target.repo)}/statuses/${encodeURIComponent(target.commit)}`,
          { "private-token": target.token },
          { state: gitlabStates[status.state], name: status.context, target_url: status.targetUrl, description: status.description },
        ];
  const forge = target.forge === "gitea" ? "Gitea" : "GitLab";
  let response;
  try {
    response = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (error) {
    throw new UpstreamUnavailableError(forge, error);
  }
  if (!response.ok) throw new UpstreamError(forge, response.status, await response.text(), `POST status for ${target.commit}`);
}
