import { request, type Dispatcher } from "undici";
import { countCall, type Upstream } from "./upstream-calls.js";
import { UpstreamError, UpstreamUnavailableError } from "./upstream-error.js";

export type UpstreamRequest = {
  method: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  body?: string;
  signal?: AbortSignal;
};

const names: Record<Upstream, string> = { nomad: "Nomad", consul: "Consul" };

export const answered = (status: number | undefined) => status !== undefined && status >= 200 && status <= 299;

/** A request that got no answer: an abort through `signal` is the caller's own doing, passed on as it is; anything else means the upstream can't be reached. */
export const unreachable = (upstream: Upstream, error: unknown, signal: AbortSignal | undefined): Error =>
  signal?.aborted ? (error as Error) : new UpstreamUnavailableError(names[upstream], error);

/** An answer outside 2xx: the upstream said no, and its body says why. */
export const refusal = async (upstream: Upstream, method: string, url: URL, status: number, body: Promise<string>) =>
  new UpstreamError(names[upstream], status, await body, `${method} ${url.pathname}`);

/**
 * One request to Nomad or Consul over an undici pool, counted: a 2xx answer
 * as undici gives it, any other an UpstreamError, none an
 * UpstreamUnavailableError (`unreachable`).
 */
export async function upstreamRequest(upstream: Upstream, url: URL, { method, headers, dispatcher, body, signal }: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  countCall(upstream, method);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, { method, headers, dispatcher, ...(body === undefined ? {} : { body }), ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    throw unreachable(upstream, error, signal);
  }
  if (!answered(response.statusCode)) throw await refusal(upstream, method, url, response.statusCode, response.body.text());
  return response;
}
