import ConsulClient from "consul";
import type { Config } from "../config.js";
import { createAgent, createDispatcher } from "../tls-agent.js";
import { countCall } from "../upstream-calls.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";
import { upstreamRequest } from "../upstream-request.js";

/**
 * The npm `consul` client, and `txn`: a transaction (PUT /v1/txn) answered as
 * Consul's JSON, any other status thrown as UpstreamError (409: an operation
 * in it failed, its check or its permission).
 */
export type Consul = ConsulClient & { txn: <T>(operations: readonly object[]) => Promise<T> };

/**
 * The npm `consul` client configured from CONSUL_* conventions, which it does
 * not read by itself: address (URL or host:port), token and mTLS.
 */
export function createConsul(config: Config["consul"]): Consul {
  const url = new URL(config.addr);
  const secure = url.protocol === "https:";
  const client = new ConsulClient({
    host: url.hostname,
    port: Number(url.port || (secure ? 443 : 80)),
    secure,
    agent: createAgent(config.addr, config.tls),
    ...(config.token === undefined ? {} : { defaults: { token: config.token } }),
  });
  return Object.assign(client, { txn: createTxn(config) });
}

/**
 * Transactions go over an undici pool rather than the package's node:http:
 * auto-cancel's swap is the one Consul call each hook makes, and an undici
 * request costs Petrel less CPU.
 */
function createTxn(config: Config["consul"]) {
  const dispatcher = createDispatcher(config.addr, config.tls);
  const url = new URL("/v1/txn", config.addr);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.token !== undefined) headers["x-consul-token"] = config.token;
  return async <T>(operations: readonly object[]): Promise<T> => {
    const response = await upstreamRequest("consul", url, { method: "PUT", headers, body: JSON.stringify(operations), dispatcher });
    return (await response.body.json()) as T;
  };
}

/** Runs a Consul call, telling "Consul said no" (status) apart from "Consul is not there". */
export async function consulCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  countCall("consul", what.split(" ")[0]!);
  try {
    return await call();
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number") {
      const body = (error as { response?: { body?: unknown } }).response?.body;
      throw new UpstreamError("Consul", status, typeof body === "string" ? body : (error as Error).message, what);
    }
    throw new UpstreamUnavailableError("Consul", error);
  }
}
