import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in constant time. Both are hashed first, so neither
 * their contents nor their lengths leak through timing.
 */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Gitea's `X-Gitea-Signature`: hex HMAC-SHA256 of the raw body; `sha256=` prefix tolerated (`X-Hub-Signature-256`). */
export function validSignature(secret: string, body: Buffer, signature: string): boolean {
  const hex = signature.replace(/^sha256=/, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}
