import type { SingleUse } from "../single-use/single-use.js";

export type SecretsUrlDeps = { singleUse: SingleUse; publicUrl: string; secretsTtlSeconds: number };

/** A fresh single-use URL for a repository's injected secrets, redeemed at GET /secrets/build/… (server/secrets.ts). */
export function createSecretsUrl({ singleUse, publicUrl, secretsTtlSeconds }: SecretsUrlDeps) {
  return async (cloneUrl: string): Promise<string> => {
    const token = await singleUse.issue({ purpose: "build", subject: cloneUrl, ttlSeconds: secretsTtlSeconds });
    return `${publicUrl}/secrets/build/${token}`;
  };
}
