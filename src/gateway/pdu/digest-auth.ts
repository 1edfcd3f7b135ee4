import { createHash, randomBytes } from "node:crypto";

/**
 * The Authorization header answering an HTTP Digest challenge (RFC 7616,
 * qop=auth), as Shelly Gen2 devices ask for with SHA-256 once a password is set.
 */
export function digestAuthorization(challenge: string, credentials: { user: string; password: string }, method: string, uri: string): string | undefined {
  if (!/^Digest /i.test(challenge)) return undefined;
  const fields = Object.fromEntries([...challenge.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!.toLowerCase(), m[2] ?? m[3] ?? ""]));
  const algorithm = (fields.algorithm ?? "MD5").toUpperCase();
  const hashName = algorithm === "SHA-256" ? "sha256" : algorithm === "MD5" ? "md5" : undefined;
  if (hashName === undefined || fields.nonce === undefined || fields.realm === undefined) return undefined;
  const hash = (text: string) => createHash(hashName).update(text).digest("hex");
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const ha1 = hash(`${credentials.user}:${fields.realm}:${credentials.password}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = hash(`${ha1}:${fields.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${credentials.user}", realm="${fields.realm}", nonce="${fields.nonce}", uri="${uri}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}
