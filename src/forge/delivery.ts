import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { BuildRequest, Forge } from "./build-request.js";

/**
 * The forge's name for this delivery, the same on every retry of it. Gitea's
 * own retries keep X-Gitea-Delivery (a replay from its UI is a new delivery,
 * asked for by a person: it builds again). GitLab keeps Idempotency-Key across
 * its retries and "Resend request", which send a fresh X-Gitlab-Event-UUID.
 */
export function deliveryId(forge: Forge, headers: IncomingHttpHeaders): string | undefined {
  const names = forge === "gitea" ? ["x-gitea-delivery", "x-gogs-delivery"] : ["idempotency-key", "x-gitlab-event-uuid"];
  for (const name of names) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== "") return first;
  }
  return undefined;
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
