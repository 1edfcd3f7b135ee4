/**
 * Where archived builds are kept: a flat namespace of keys holding bytes, as
 * an S3 bucket (under a prefix) or a folder on disk offers it. Keys are
 * `/`-separated paths relative to the store's root.
 */
export type ObjectStore = {
  /** What an operator would type to find the objects (`s3://bucket/prefix`, a folder's path). */
  readonly location: string;
  /** Writes the whole object at once: readers see the old object or the new one, never part of it. */
  put: (key: string, body: Buffer, contentType: string) => Promise<void>;
  /** The object's bytes, or undefined when there is no such object. */
  get: (key: string) => Promise<Buffer | undefined>;
  /** Keys under `prefix`, in byte order, after `startAfter` when given; at most `limit`. */
  list: (prefix: string, options?: { startAfter?: string; limit?: number }) => Promise<string[]>;
  remove: (keys: string[]) => Promise<void>;
};

/** The archive could not be reached or refused Petrel: a reader's 503, not a missing build. */
export class ArchiveUnavailableError extends Error {
  constructor(location: string, cause: unknown) {
    super(`the build archive ${location} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "ArchiveUnavailableError";
  }
}
