import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { header } from "../http-header.js";
import type { BuildRequest, Forge } from "./build-request.js";

/**
 * The forge's name for this delivery, the same on every retry of it. Gitea's
 * own retries keep X-Gitea-Delivery (a replay from its UI is a new delivery,
 * asked for by a person: it builds again). GitLab keeps Idempotency-Key across
 * its retries and "Resend request", which send a fresh X-Gitlab-Event-UUID.
 */
export function deliveryId(forge: Forge, headers: IncomingHttpHeaders): string | undefined {
  return forge === "gitea"
    ? (header(headers, "x-gitea-delivery") ?? header(headers, "x-gogs-delivery"))
    : (header(headers, "idempotency-key") ?? header(headers, "x-gitlab-event-uuid"));
}

/**
 * What makes a delivery a redelivery: its id, and the event it carries to the
 * repository it names, since GitLab gives one event UUID to the several hooks
 * a single action sets off (other events, other repositories).
 */
export function deliveryKey(id: string, request: BuildRequest): string {
  const what = createHash("sha256").update([request.forge, request.cloneUrl, request.event, request.branch, request.commit].join("\0")).digest("hex").slice(0, 16);
  return `${id}/${what}`;
}
