import { createHmac, timingSafeEqual } from "node:crypto";

/** A hex HMAC-SHA256 of the raw body (Gitea's `X-Gitea-Signature`); a `sha256=` prefix is tolerated (`X-Hub-Signature-256`). */
export function validSignature(secret: string, body: Buffer, signature: string): boolean {
  const hex = signature.replace(/^sha256=/, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}
