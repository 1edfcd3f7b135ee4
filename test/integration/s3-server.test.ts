import { randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunDir, type RunDir } from "../cluster/run-dir.js";
import { startS3, type RunningS3 } from "../cluster/s3.js";

/**
 * The test cluster's S3 server (SeaweedFS) on a run folder of this file's own:
 * what Petrel will rely on works, and only its one identity gets in.
 */
const bucket = "petrel-artifacts";
let run: RunDir;
let s3: RunningS3;
let client: S3Client;

const clientWith = (secretAccessKey: string) =>
  new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey },
  });

beforeAll(async () => {
  run = createRunDir("petrel-s3-");
  s3 = await startS3(run);
  client = clientWith(s3.secretAccessKey);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  expect(await run?.remove()).toEqual([]);
});

const put = (Key: string, Body: string | Uint8Array) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));

async function keys(request: { Prefix?: string; StartAfter?: string; Delimiter?: string }) {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...request }));
  return { keys: (listed.Contents ?? []).map((object) => object.Key), prefixes: (listed.CommonPrefixes ?? []).map((p) => p.Prefix) };
}

describe("the test cluster's S3 server", () => {
  it("lists the bucket it created", async () => {
    const { Buckets } = await client.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual([bucket]);
  });

  it("gives back every byte it was given", async () => {
    const body = randomBytes(300_000);
    await put("blobs/random", body);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "blobs/random" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ContentLength).toBe(body.length);
  });

  it("lists by prefix, after a key and by delimiter", async () => {
    for (const key of ["logs/b/2", "logs/a/1", "logs/a/2", "other/1"]) await put(key, key);
    expect(await keys({ Prefix: "logs/" })).toEqual({ keys: ["logs/a/1", "logs/a/2", "logs/b/2"], prefixes: [] });
    expect(await keys({ Prefix: "logs/", StartAfter: "logs/a/1" })).toEqual({ keys: ["logs/a/2", "logs/b/2"], prefixes: [] });
    expect(await keys({ Prefix: "logs/", Delimiter: "/" })).toEqual({ keys: [], prefixes: ["logs/a/", "logs/b/"] });
  });

  it("deletes several objects in one request", async () => {
    for (const key of ["trash/1", "trash/2"]) await put(key, key);
    const { Deleted, Errors } = await client.send(new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: [{ Key: "trash/1" }, { Key: "trash/2" }, { Key: "trash/never-there" }] },
    }));
    expect(Deleted?.map((d) => d.Key).sort()).toEqual(["trash/1", "trash/2", "trash/never-there"]);
    expect(Errors ?? []).toEqual([]);
    expect(await keys({ Prefix: "trash/" })).toEqual({ keys: [], prefixes: [] });
  });

  it("refuses a put with If-None-Match: * over an existing key, and keeps the first", async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "once", Body: "first", IfNoneMatch: "*" }));
    await expect(client.send(new PutObjectCommand({ Bucket: bucket, Key: "once", Body: "second", IfNoneMatch: "*" })))
      .rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "once" }));
    expect(await got.Body!.transformToString()).toBe("first");
  });

  it("refuses a request signed with a wrong secret", async () => {
    const intruder = clientWith(randomBytes(20).toString("hex"));
    try {
      await expect(intruder.send(new GetObjectCommand({ Bucket: bucket, Key: "once" })))
        .rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(intruder.send(new PutObjectCommand({ Bucket: bucket, Key: "intruder", Body: "x" })))
        .rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      intruder.destroy();
    }
  });

  it("refuses unsigned requests", async () => {
    const requests: [string, RequestInit][] = [
      [`/${bucket}/once`, {}], [`/${bucket}`, {}], ["/", {}], [`/${bucket}/anonymous`, { method: "PUT", body: "x" }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${s3.endpoint}${path}`, init);
      expect(response.status, `${init.method ?? "GET"} ${path}`).toBe(403);
      await response.body?.cancel();
    }
    expect(await keys({ Prefix: "anonymous" })).toEqual({ keys: [], prefixes: [] });
  });
});
