import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in constant time. Both are hashed first, so neither
 * their contents nor their lengths leak through timing.
 */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
