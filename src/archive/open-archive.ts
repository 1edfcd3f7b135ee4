import type { ArchiveConfig } from "../config.js";
import { createBuildArchive, type BuildArchive } from "./build-archive.js";
import { folderStore } from "./folder-store.js";

/** The archive the configuration names; AWS's client is loaded only for an S3 one. */
export async function openArchive({ store }: ArchiveConfig): Promise<BuildArchive> {
  if (store.kind === "folder") return createBuildArchive(folderStore(store.path));
  const { s3Store } = await import("./s3-store.js");
  return createBuildArchive(s3Store(store));
}
