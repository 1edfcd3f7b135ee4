import { createHmac, randomUUID } from "node:crypto";

export type HookRequest = {
  /** A payload to send as JSON, or the exact bytes. */
  payload?: unknown;
  body?: Buffer | string;
  /** Gitea: signs with `secret` and sets X-Gitea-Event/Delivery; GitLab: X-Gitlab-Token/Event/UUID; none: no forge headers. */
  forge?: "gitea" | "gitlab";
  event?: string;
  secret?: string;
  delivery?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
};

export type HookAnswer = { status: number; type: string; text: string; json: () => Record<string, unknown> };

/** Sends one webhook the way a forge does. */
export async function sendHook(petrelUrl: string, hook: HookRequest): Promise<HookAnswer> {
  const body = hook.body ?? JSON.stringify(hook.payload);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (hook.forge === "gitea") {
    headers["x-gitea-event"] = hook.event ?? "push";
    headers["x-gitea-delivery"] = hook.delivery ?? randomUUID();
    if (hook.secret !== undefined) headers["x-gitea-signature"] = createHmac("sha256", hook.secret).update(body).digest("hex");
  } else if (hook.forge === "gitlab") {
    headers["x-gitlab-event"] = hook.event ?? "Push Hook";
    headers["x-gitlab-event-uuid"] = hook.delivery ?? randomUUID();
    if (hook.secret !== undefined) headers["x-gitlab-token"] = hook.secret;
  }
  const url = new URL(`${petrelUrl}/hook`);
  for (const [key, value] of Object.entries(hook.query ?? {})) url.searchParams.set(key, value);
  const response = await fetch(url, { method: "POST", headers: { ...headers, ...hook.headers }, body });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}
