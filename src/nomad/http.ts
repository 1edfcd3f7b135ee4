import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { text } from "node:stream/consumers";
import type { Dispatcher } from "undici";
import type { Config } from "../config.js";
import { createAgent, createDispatcher } from "../tls-agent.js";
import { countCall } from "../upstream-calls.js";
import { answered, refusal, unreachable, upstreamRequest } from "../upstream-request.js";

export type Query = Record<string, string | number | boolean | undefined>;

export type RequestOptions = {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
};

export type Blocking = { index?: number; wait?: string };
export type Indexed<T> = { value: T; index: number };

export type NomadHttp = {
  /** Sends a request and decodes the JSON answer; non-2xx throws UpstreamError. */
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /**
   * A GET that can block: with `index`, Nomad holds the answer until its state
   * passes that index or `wait` elapses; the answer's index feeds the next call.
   */
  read<T>(path: string, options?: RequestOptions & Blocking): Promise<Indexed<T>>;
  /** A GET whose answer is streamed (logs, events): Node's own response, which the caller reads to the end or destroys. */
  stream(path: string, options?: RequestOptions): Promise<IncomingMessage>;
};

/**
 * The one place that knows Nomad's address, token, namespace, region and TLS.
 * Short JSON calls go through an undici pool, which costs a hook less CPU than
 * Node's http; streams through Node's http, whose response is itself the
 * stream a log is piped on from (undici's passes each chunk along once more).
 */
export function createNomadHttp(nomad: Config["nomad"]): NomadHttp {
  const dispatcher = createDispatcher(nomad.addr, nomad.tls);
  const agent = createAgent(nomad.addr, nomad.tls);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (nomad.token !== undefined) headers["x-nomad-token"] = nomad.token;

  const urlOf = (path: string, options: RequestOptions) => {
    const url = new URL(nomad.addr + path);
    const query: Query = { namespace: nomad.namespace, region: nomad.region, ...options.query };
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  };
  const send = (method: string, path: string, options: RequestOptions): Promise<Dispatcher.ResponseData> =>
    upstreamRequest("nomad", urlOf(path, options), {
      method,
      headers,
      dispatcher,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });

  function stream(path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const url = urlOf(path, options);
    countCall("nomad", "GET");
    const open = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = open(url, { headers, agent, ...(options.signal === undefined ? {} : { signal: options.signal }) }, (response) => {
        if (answered(response.statusCode)) resolve(response);
        else refusal("nomad", "GET", url, response.statusCode ?? 0, text(response)).then(reject, reject);
      });
      req.once("error", (error) => reject(unreachable("nomad", error, options.signal)));
      req.end();
    });
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
    stream,
  };
}
