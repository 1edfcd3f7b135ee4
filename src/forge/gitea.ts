import { createHash } from "node:crypto";
import { header } from "../http-header.js";
import type { Forge, StatusState } from "./forge.js";
import { parseGiteaHook } from "./gitea-payload.js";
import { repositoryUrlAt } from "./parse-payload.js";
import { apiBase, postStatus } from "./post-status.js";
import { validSignature } from "./signature.js";

/** Gitea knows pending, success, failure and error. */
const states: Record<StatusState, string> = { pending: "pending", running: "pending", success: "success", failure: "failure", error: "error", canceled: "error" };

/** Gitea (and Gogs, whose headers it still sends beside its own). */
export const gitea = {
  name: "gitea",
  eventHeader: "X-Gitea-Event",
  eventOf: (headers) => header(headers, "x-gitea-event") ?? header(headers, "x-gogs-event"),
  events: ["push", "pull_request", "issue_comment", "create", "delete"],
  deliveryId: (headers) => header(headers, "x-gitea-delivery") ?? header(headers, "x-gogs-delivery"),
  // A replay from Gitea's UI sends the stored payload again under a new X-Gitea-Delivery: the bytes are what stays.
  retryId: ({ body }) => createHash("sha256").update(body).digest("hex").slice(0, 32),
  repositoryUrl: (payload) => repositoryUrlAt(payload, "repository", "clone_url"),
  secretHeaders: ["x-gitea-signature", "x-hub-signature-256"],
  proofHeader: "X-Gitea-Signature",
  verify({ headers, body }, { secret }) {
    // Without a secret Gitea still sends the headers, empty or a bare "sha256=".
    const signature = [header(headers, "x-gitea-signature"), header(headers, "x-hub-signature-256")]
      .map((value) => value?.replace(/^sha256=/i, ""))
      .find((value) => value !== undefined && value !== "");
    if (signature === undefined || secret === undefined) return undefined;
    return { header: "X-Gitea-Signature", valid: validSignature(secret, body, signature) };
  },
  parse: parseGiteaHook,
  commitUrl: (forgeUrl, forgeRepo, commit) => `${forgeUrl}/${forgeRepo.split("/").map(encodeURIComponent).join("/")}/commit/${encodeURIComponent(commit)}`,
  postStatus: (account, forgeRepo, commit, status) =>
    postStatus({
      forge: "Gitea",
      url: `${apiBase(account.url)}/api/v1/repos/${forgeRepo.split("/").map(encodeURIComponent).join("/")}/statuses/${encodeURIComponent(commit)}`,
      headers: { authorization: `token ${account.token}` },
      body: { state: states[status.state], context: status.context, target_url: status.targetUrl, description: status.description },
      commit,
    }),
} as const satisfies Forge;
