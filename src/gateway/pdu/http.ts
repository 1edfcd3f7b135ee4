import { digestAuthorization } from "./digest-auth.js";
import { PduError } from "./driver.js";

export type HttpTarget = {
  base: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Answers a Digest challenge (a 401) once with these. */
  digest?: { user: string; password: string };
};

/** An HTTP answer the caller judges itself (a smart plug's "unknown relay" can be a 404 or a 200 with an error). */
export type HttpAnswer = { status: number; body: unknown };

/** GETs a smart plug's JSON API; only "not there at all" and "not JSON" are decided here. */
export async function getJson(target: HttpTarget, path: string): Promise<HttpAnswer> {
  const url = new URL(path, target.base);
  let response = await send(target, url, target.headers ?? {});
  const challenge = response.headers.get("www-authenticate");
  const authorization = response.status === 401 && challenge && target.digest
    ? digestAuthorization(challenge, target.digest, "GET", `${url.pathname}${url.search}`)
    : undefined;
  if (authorization !== undefined) {
    await response.arrayBuffer();
    response = await send(target, url, { ...target.headers, authorization });
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new PduError("refused", `the PDU at ${target.base} refused the credentials (HTTP ${response.status})`);
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    if (response.status >= 400) return { status: response.status, body: text };
    throw new PduError("protocol", `the PDU at ${target.base} answered ${url.pathname} with something that is not JSON: ${text.slice(0, 100)}`);
  }
}

async function send(target: HttpTarget, url: URL, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new PduError("unreachable", `cannot reach the PDU at ${target.base} (${cause})`, { cause: error });
  }
}

export function basicAuth(user: string | undefined, password: string | undefined): Record<string, string> {
  if (user === undefined) return {};
  return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ""}`).toString("base64")}` };
}
