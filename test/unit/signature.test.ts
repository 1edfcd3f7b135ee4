import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { validSignature } from "../../src/forge/signature.js";
import { sameSecret } from "../../src/same-secret.js";

const body = Buffer.from('{"ref":"refs/heads/main"}');
const sign = (secret: string, bytes: Buffer) => createHmac("sha256", secret).update(bytes).digest("hex");

describe("validSignature", () => {
  it("accepts the hex HMAC-SHA256 of the exact body, with or without sha256=", () => {
    expect(validSignature("s3", body, sign("s3", body))).toBe(true);
    expect(validSignature("s3", body, `sha256=${sign("s3", body)}`)).toBe(true);
    expect(validSignature("s3", body, sign("s3", body).toUpperCase())).toBe(true);
  });

  it("refuses another secret, another body, and malformed signatures", () => {
    expect(validSignature("s3", body, sign("other", body))).toBe(false);
    expect(validSignature("s3", Buffer.from(`${body.toString()} `), sign("s3", body))).toBe(false);
    expect(validSignature("s3", body, "")).toBe(false);
    expect(validSignature("s3", body, sign("s3", body).slice(2))).toBe(false);
    expect(validSignature("s3", body, "zz".repeat(32))).toBe(false);
  });
});

describe("sameSecret", () => {
  it("compares whole secrets of any length", () => {
    expect(sameSecret("token-1", "token-1")).toBe(true);
    expect(sameSecret("token-1", "token-2")).toBe(false);
    expect(sameSecret("token", "token-1")).toBe(false);
    expect(sameSecret("", "x")).toBe(false);
  });
});
