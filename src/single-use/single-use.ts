import { createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { errors, jwtVerify } from "jose";
import { consulCall, type Consul } from "../consul/client.js";
import { SingleUseError } from "./errors.js";
import { signHs256 } from "./hs256.js";
import { loadSigningKey } from "./signing-key.js";
import { consulKeys } from "../consul/keys.js";
import type { KvEntry } from "../consul/sweep-keys.js";

export { SingleUseError };

export type IssueOptions = {
  /** What the token is for ("build", "boot"): a token of one purpose is refused by the other. */
  purpose: string;
  /** What the token unlocks, e.g. a repository's clone URL or a gateway's fingerprint. */
  subject: string;
  ttlSeconds: number;
};

export type SingleUse = {
  issue(options: IssueOptions): Promise<string>;
  /** The token's subject, once; later calls throw SingleUseError 410, bad tokens 401. */
  redeem(purpose: string, token: string): Promise<{ subject: string }>;
  /** The token's subject if it is valid for `purpose` (else SingleUseError 401), without using it up. */
  check(purpose: string, token: string): Promise<{ subject: string }>;
};

const issuer = "petrel";

/**
 * Short-lived, single-use capabilities: a JWT (HS256, key in Consul) names
 * what it unlocks, and its redemption is recorded in Consul KV with `cas=0`,
 * which only one request can win — across every Petrel replica.
 */
export function createSingleUse({ consul, prefix }: { consul: Consul; prefix: string }): SingleUse {
  let key: Promise<KeyObject> | undefined;
  const signingKey = () => {
    key ??= loadSigningKey(consul, prefix)
      // One KeyObject for both: signHs256 takes it as it is, and jose keeps the CryptoKey it makes from it for verifying.
      .then((bytes) => createSecretKey(bytes))
      .catch((error: unknown) => {
        key = undefined;
        throw error;
      });
    return key;
  };

  const verifyFor = async (purpose: string, token: string) => {
    const claims = await verify(token, await signingKey());
    if (claims.purpose !== purpose) throw new SingleUseError(401, `this token is not for ${purpose}`);
    return claims;
  };

  return {
    async issue({ purpose, subject, ttlSeconds }) {
      const signWith = await signingKey();
      const issuedAt = Math.floor(Date.now() / 1000);
      return signHs256({ purpose, iss: issuer, sub: subject, jti: randomUUID(), iat: issuedAt, exp: issuedAt + ttlSeconds }, signWith);
    },

    async check(purpose, token) {
      return { subject: (await verifyFor(purpose, token)).sub };
    },

    async redeem(purpose, token) {
      const claims = await verifyFor(purpose, token);
      const record = consulKeys.redeemed(prefix, claims.jti);
      const won = await consulCall(`PUT kv ${record}`, () =>
        consul.kv.set({ key: record, value: JSON.stringify({ purpose, redeemedAt: new Date().toISOString(), expires: claims.exp }), cas: 0 }),
      );
      if (!won) throw new SingleUseError(410, "this token has already been used");
      return { subject: claims.sub };
    },
  };
}

type Claims = { purpose: unknown; sub: string; jti: string; exp: number };

async function verify(token: string, key: KeyObject): Promise<Claims> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer, algorithms: ["HS256"], requiredClaims: ["sub", "jti", "exp"] });
    return payload as Claims;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new SingleUseError(401, "this token has expired");
    if (error instanceof errors.JOSEError) throw new SingleUseError(401, "this token is not valid");
    throw error;
  }
}

/** A redemption record can go once its token has expired: from then on the token's own `exp` refuses it. */
export function redemptionSpent(entry: KvEntry, nowSeconds: number): boolean {
  try {
    const expires = Number((JSON.parse(entry.Value ?? "") as { expires?: unknown }).expires);
    return Number.isFinite(expires) && expires < nowSeconds;
  } catch {
    return false;
  }
}
