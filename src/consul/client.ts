import Consul from "consul";
import type { Config } from "../config.js";
import { createAgent } from "../tls-agent.js";
import { countCall } from "../upstream-calls.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";

export type { Consul };

/**
 * The npm `consul` client configured from CONSUL_* conventions, which it does
 * not read by itself: address (URL or host:port), token and mTLS.
 */
export function createConsul(config: Config["consul"]): Consul {
  const url = new URL(config.addr);
  const secure = url.protocol === "https:";
  return new Consul({
    host: url.hostname,
    port: Number(url.port || (secure ? 443 : 80)),
    secure,
    agent: createAgent(config.addr, config.tls),
    ...(config.token === undefined ? {} : { defaults: { token: config.token } }),
  });
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
