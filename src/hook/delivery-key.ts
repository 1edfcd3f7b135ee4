import { createHash } from "node:crypto";
import type { BuildRequest } from "../forge/build-request.js";

/**
 * What makes a delivery a redelivery: the forge's retry id, and the event it
 * carries to the repository it names, since GitLab gives one event UUID to the
 * several hooks a single action sets off (other events, other repositories).
 */
export function deliveryKey(retryId: string, request: BuildRequest): string {
  const what = createHash("sha256").update([request.forge, request.cloneUrl, request.event, request.branch, request.commit].join("\0")).digest("hex").slice(0, 16);
  return `${retryId}/${what}`;
}
