import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Config } from "../config.js";
import { initCa, issueFromCa } from "./ca-dir.js";

export type ServerTls = { cert: string; key: string; ca: string };

/**
 * The listener's certificate: the operator's files when configured, else
 * Petrel's own CA and a server certificate for the names it answers to,
 * made in `dir` at first start and reused after. Never plain, never unverified.
 */
export function serverTls(tls: NonNullable<Config["tls"]>, listenHost: string): ServerTls {
  if (tls.cert !== undefined && tls.key !== undefined && tls.ca !== undefined) return { cert: tls.cert, key: tls.key, ca: tls.ca };
  const names = [...new Set([listenHost, "127.0.0.1", "localhost", hostname()].filter((name) => name !== "0.0.0.0" && name !== "::" && name !== ""))];
  const server = join(tls.dir, "server-petrel.pem");
  if (!existsSync(join(tls.dir, "ca.pem"))) initCa(tls.dir, { name: `Petrel CA (${hostname()})` });
  if (!existsSync(server)) issueFromCa(tls.dir, { kind: "server", names }, "server-petrel");
  const read = (name: string) => readFileSync(join(tls.dir, name), "utf8");
  // A folder whose intermediate signs (`petrel ca init --intermediate`): clients know only the root, so the intermediate goes along.
  const chain = existsSync(join(tls.dir, "server-petrel-chain.pem")) ? "server-petrel-chain.pem" : "server-petrel.pem";
  return { cert: read(chain), key: read("server-petrel-key.pem"), ca: read("ca.pem") };
}
