import type { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import type { Config } from "../config.js";
import { createDispatcher } from "../tls-agent.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";
import { countCall } from "../upstream-calls.js";

export type Query = Record<string, string | number | boolean | undefined>;

export type RequestOptions = {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
};

export type Blocking = { index?: number; wait?: string };
/** A streamed answer: its body as a Node stream, which the caller reads to the end or destroys. */
export type Streamed = { body: Readable };
export type Indexed<T> = { value: T; index: number };

export type NomadHttp = {
  /** Sends a request and decodes the JSON answer; non-2xx throws UpstreamError. */
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /**
   * A GET that can block: with `index`, Nomad holds the answer until its state
   * passes that index or `wait` elapses; the answer's index feeds the next call.
   */
  read<T>(path: string, options?: RequestOptions & Blocking): Promise<Indexed<T>>;
  /** Sends a request and hands back the raw response for streaming. */
  stream(method: string, path: string, options?: RequestOptions): Promise<Streamed>;
};

/** The one place that knows Nomad's address, token, namespace, region and TLS. */
export function createNomadHttp(nomad: Config["nomad"]): NomadHttp {
  const dispatcher = createDispatcher(nomad.addr, nomad.tls);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (nomad.token !== undefined) headers["x-nomad-token"] = nomad.token;

  async function send(method: string, path: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
    const url = new URL(nomad.addr + path);
    const query: Query = { namespace: nomad.namespace, region: nomad.region, ...options.query };
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let response: Dispatcher.ResponseData;
    countCall("nomad", method);
    try {
      response = await request(url, {
        method,
        headers,
        dispatcher,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new UpstreamUnavailableError("Nomad", error);
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw new UpstreamError("Nomad", response.statusCode, await response.body.text(), `${method} ${url.pathname}`);
    }
    return response;
  }

  return {
    async json<T>(method: string, path: string, options: RequestOptions = {}) {
      const response = await send(method, path, options);
      return (await response.body.json()) as T;
    },
    async read<T>(path: string, { index, wait, ...options }: RequestOptions & Blocking = {}) {
      const query = { ...options.query, index, wait: index === undefined ? undefined : (wait ?? "5m") };
      const response = await send("GET", path, { ...options, query });
      return { value: (await response.body.json()) as T, index: Number(response.headers["x-nomad-index"] ?? 0) };
    },
    stream: (method, path, options = {}) => send(method, path, options),
  };
}
