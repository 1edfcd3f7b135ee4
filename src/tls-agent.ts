import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { Agent as UndiciAgent } from "undici";
import type { TlsFiles } from "./config.js";

/**
 * One keep-alive pool per upstream, bounded: Nomad refuses more than 100
 * concurrent connections per client address by default, so Petrel shares a
 * few sockets instead of opening one per request. Consul's client and Nomad's
 * streams take a Node agent; Nomad's JSON calls an undici dispatcher, whose
 * requests cost less CPU.
 */
export function createAgent(url: string, tls: TlsFiles, maxSockets = 32): HttpAgent | HttpsAgent {
  const common = { keepAlive: true, maxSockets };
  return url.startsWith("https:") ? new HttpsAgent({ ...common, ...tlsOptions(tls) }) : new HttpAgent(common);
}

export function createDispatcher(url: string, tls: TlsFiles, connections = 32): UndiciAgent {
  return new UndiciAgent({ connections, ...(url.startsWith("https:") ? { connect: tlsOptions(tls) } : {}) });
}

/** The upstream's CA, client certificate and server name, as Node's TLS takes them. */
function tlsOptions(tls: TlsFiles) {
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    rejectUnauthorized: !tls.skipVerify,
  };
}
