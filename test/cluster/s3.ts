import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { obtainAgent } from "./agents.js";
import { freePorts } from "./ports.js";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";

export type RunningS3 = {
  /** http://127.0.0.1:port, for path-style requests. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  version: string;
  stop: () => Promise<void>;
};

/**
 * A real S3 server: `weed mini` (SeaweedFS's master, volume server, filer, S3
 * gateway and admin in one process) on free loopback ports with its data in
 * the run's folder. One identity may do everything; requests it didn't sign
 * are refused; `buckets` are there from the start. Ready once a request it
 * signed is answered.
 */
export async function startS3(run: RunDir, { buckets = [] }: { buckets?: string[] } = {}): Promise<RunningS3> {
  const agent = await obtainAgent("seaweedfs");
  const dir = run.sub("seaweedfs");
  const data = run.sub("seaweedfs/data");
  // Every gRPC port is set too: by default each is its HTTP port + 10000,
  // which no free-port check covers.
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc, admin, adminGrpc] = await freePorts(10);
  const region = "us-east-1";
  const accessKeyId = randomBytes(10).toString("hex").toUpperCase();
  const secretAccessKey = randomBytes(20).toString("hex");
  const identities = join(dir, "s3.json");
  writeFileSync(identities, JSON.stringify({
    identities: [{
      name: "petrel",
      credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
      actions: ["Admin", "Read", "Write", "List", "Tagging"],
    }],
  }));
  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  const daemon = await startAgent(run, {
    name: "seaweedfs",
    command: agent.path,
    args: [
      // Into the agent's log, not files of glog's own in /tmp.
      "-logtostderr",
      // Unlike `weed server`, mini starts its parts in order and stops them in
      // reverse: a `weed server` stops its volume server before its filer,
      // whose last flush then retries for 15 s.
      "mini",
      "-dir", data,
      "-ip", "127.0.0.1",
      "-ip.bind", "127.0.0.1",
      "-master.port", String(master), "-master.port.grpc", String(masterGrpc),
      "-volume.port", String(volume), "-volume.port.grpc", String(volumeGrpc),
      "-filer.port", String(filer), "-filer.port.grpc", String(filerGrpc),
      "-s3.port", String(s3), "-s3.port.grpc", String(s3Grpc),
      // Mini always runs its admin server (for its maintenance worker); its UI isn't needed.
      "-admin.port", String(admin), "-admin.port.grpc", String(adminGrpc), "-admin.ui=false",
      // Off, as they listen on fixed ports: the Iceberg and Lance catalogs
      // (8181, 9101), the admin's compatibility port (23646) and WebDAV (7333).
      "-s3.port.iceberg", "0", "-s3.port.lance", "0", "-admin.port.legacy", "0", "-webdav=false",
      // In /tmp by default, named by port. Its gRPC sockets stay there
      // (/tmp/seaweedfs-*-grpc-<port>.sock), removed when it stops.
      "-filer.localSocket", join(dir, "filer.sock"), "-s3.localSocket", join(dir, "s3.sock"),
      "-s3.config", identities,
      "-bucket", buckets.join(","),
      // Volumes aren't preallocated (the default); this caps each at mini's
      // smallest size instead of one computed from the disk's size (1 GiB here).
      "-master.volumeSizeLimitMB", "64",
      "-master.telemetry=false",
    ],
    dir,
    // Mini creates the buckets these name; the caller's own must not leak in.
    env: { S3_BUCKET: "", S3_TABLE_BUCKET: "" },
    readiness: "a signed S3 request answered",
    ready: async () => (await client.send(new ListBucketsCommand({}))).$metadata.httpStatusCode === 200,
  }).finally(() => client.destroy());
  return { endpoint, region, accessKeyId, secretAccessKey, version: agent.version, stop: () => stopDaemon(daemon) };
}
