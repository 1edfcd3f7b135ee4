import { createSecretKey, randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signHs256 } from "../../src/single-use/hs256.js";

const claims = { purpose: "build", iss: "petrel", sub: "https://git.example/o/r.git", jti: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", iat: 1764590000, exp: 1764590300 };

describe("signHs256", () => {
  it("makes the very token jose signs for the same claims and key", async () => {
    const bytes = randomBytes(32);
    const jose = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(bytes);
    expect(signHs256(claims, createSecretKey(bytes))).toBe(jose);
  });

  it("is verified by jose with its key, and refused with another", async () => {
    const bytes = randomBytes(32);
    const token = signHs256(claims, createSecretKey(bytes));
    const { payload, protectedHeader } = await jwtVerify(token, bytes, { algorithms: ["HS256"], currentDate: new Date(1764590100_000) });
    expect([protectedHeader, payload]).toEqual([{ alg: "HS256" }, claims]);
    await expect(jwtVerify(token, randomBytes(32), { algorithms: ["HS256"], currentDate: new Date(1764590100_000) })).rejects.toThrow(/signature verification failed/);
  });
});
