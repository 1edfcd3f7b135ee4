import { header } from "../http-header.js";
import type { Forge, StatusState } from "./forge.js";
import { parseGitlabHook } from "./gitlab-payload.js";
import { repositoryUrlAt } from "./parse-payload.js";
import { apiBase, postStatus } from "./post-status.js";
import { sameSecret } from "../same-secret.js";

/** GitLab knows running and canceled too. */
const states: Record<StatusState, string> = { pending: "pending", running: "running", success: "success", failure: "failed", error: "failed", canceled: "canceled" };

/** GitLab, whose hooks carry the configured secret token itself rather than a signature. */
export const gitlab = {
  name: "gitlab",
  eventHeader: "X-Gitlab-Event",
  eventOf: (headers) => header(headers, "x-gitlab-event"),
  events: ["Push Hook", "Tag Push Hook", "Merge Request Hook", "Note Hook", "Service Hook"],
  deliveryId: (headers) => header(headers, "x-gitlab-event-uuid"),
  // Kept across GitLab's retries and "Resend request", which send fresh event and webhook UUIDs.
  retryId: ({ headers }) => header(headers, "idempotency-key") ?? header(headers, "x-gitlab-event-uuid"),
  repositoryUrl: (payload) => repositoryUrlAt(payload, "project", "git_http_url"),
  secretHeaders: ["x-gitlab-token"],
  proofHeader: "X-Gitlab-Token",
  verify({ headers }, { token, secret }) {
    const given = header(headers, "x-gitlab-token");
    if (given === undefined) return undefined;
    return { header: "X-Gitlab-Token", valid: [token, secret].some((known) => known !== undefined && sameSecret(given, known)) };
  },
  parse: parseGitlabHook,
  commitUrl: (forgeUrl, forgeRepo, commit) => `${forgeUrl}/${forgeRepo.split("/").map(encodeURIComponent).join("/")}/-/commit/${encodeURIComponent(commit)}`,
  postStatus: (account, forgeRepo, commit, status) =>
    postStatus({
      forge: "GitLab",
      // The config may name the project by id; else its path, which GitLab's API takes for the id.
      url: `${apiBase(account.url)}/api/v4/projects/${encodeURIComponent(String(account.project ?? forgeRepo))}/statuses/${encodeURIComponent(commit)}`,
      headers: { "private-token": account.token },
      body: { state: states[status.state], name: status.context, target_url: status.targetUrl, description: status.description },
      commit,
    }),
} as const satisfies Forge;
