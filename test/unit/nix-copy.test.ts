import { describe, expect, it } from "vitest";
import { compressedWithZstd } from "../../src/upload/nix-copy.js";

describe("the binary cache's compression", () => {
  it("is zstd where the cache's URI names none", () => {
    expect(compressedWithZstd("file:///srv/nix-cache")).toBe("file:///srv/nix-cache?compression=zstd");
    expect(compressedWithZstd("s3://cache?region=eu-west-1&endpoint=minio.lan")).toBe("s3://cache?region=eu-west-1&endpoint=minio.lan&compression=zstd");
    expect(compressedWithZstd("https://cache.example.org/")).toBe("https://cache.example.org/?compression=zstd");
  });

  it("stays the one the URI names", () => {
    expect(compressedWithZstd("file:///srv/nix-cache?compression=xz")).toBe("file:///srv/nix-cache?compression=xz");
    expect(compressedWithZstd("s3://cache?region=eu-west-1&compression=none")).toBe("s3://cache?region=eu-west-1&compression=none");
  });

  it("leaves stores that are not binary caches as they are", () => {
    for (const uri of ["ssh://builder.lan", "ssh-ng://builder.lan", "local?root=/tmp/store", "/srv/store", "daemon"]) expect(compressedWithZstd(uri)).toBe(uri);
  });
});
