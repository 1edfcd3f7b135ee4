import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";

export type StatusPost = { forge: string; url: string; headers: Record<string, string>; body: unknown; commit: string };

/** Posts a commit status to a forge's API; its refusals and its absence are told apart like Nomad's. */
export async function postStatus({ forge, url, headers, body, commit }: StatusPost): Promise<void> {
  let response;
  try {
    response = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (error) {
    throw new UpstreamUnavailableError(forge, error);
  }
  if (!response.ok) throw new UpstreamError(forge, response.status, await response.text(), `POST status for ${commit}`);
}

/** The API base of a forge whose configured URL may end in slashes. */
export const apiBase = (url: string) => url.replace(/\/+$/, "");
