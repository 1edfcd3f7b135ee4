import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { S3Credentials } from "../config.js";
import { ArchiveUnavailableError, type ObjectStore } from "./object-store.js";

export type S3Location = { bucket: string; prefix: string; endpoint?: string; region: string; credentials?: S3Credentials };

/**
 * An object store in an S3 bucket under a prefix, through AWS's own client:
 * AWS, or any S3-compatible server (Garage, MinIO, SeaweedFS) named by an
 * endpoint, which is then addressed by path (`endpoint/bucket/key`), as those
 * servers expect. Credentials come from the AWS variables (read with the
 * rest of the configuration), else from AWS's own files and roles.
 */
export function s3Store({ bucket, prefix, endpoint, region, credentials }: S3Location): ObjectStore {
  // A copy: the configuration is frozen, and the client marks the credentials it is given.
  const client = new S3Client({ region, ...(credentials ? { credentials: { ...credentials } } : {}), ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }) });
  const location = `s3://${bucket}/${prefix}`;
  const keyOf = (key: string) => `${prefix}${key}`;
  const failing = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new ArchiveUnavailableError(location, error);
    }
  };
  return {
    location,
    put: (key, body, contentType) => failing(async () => void (await client.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(key), Body: body, ContentType: contentType })))),
    get: (key) =>
      failing(async () => {
        try {
          const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
          return answer.Body ? Buffer.from(await answer.Body.transformToByteArray()) : Buffer.alloc(0);
        } catch (error) {
          if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
          throw error;
        }
      }),
    list: (under, { startAfter, limit = Infinity } = {}) =>
      failing(async () => {
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: keyOf(under),
              ...(startAfter === undefined ? {} : { StartAfter: keyOf(startAfter) }),
              ...(token === undefined ? {} : { ContinuationToken: token }),
              ...(Number.isFinite(limit) ? { MaxKeys: Math.min(1000, limit - keys.length) } : {}),
            }),
          );
          keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key.slice(prefix.length)])));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined && keys.length < limit);
        return keys;
      }),
    remove: (keys) =>
      failing(async () => {
        // One request deletes at most 1,000 keys.
        for (let start = 0; start < keys.length; start += 1000) {
          const batch = keys.slice(start, start + 1000).map((key) => ({ Key: keyOf(key) }));
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
        }
      }),
  };
}
