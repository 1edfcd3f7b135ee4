import type { Readable } from "node:stream";
import type { Nomad } from "../nomad/client.js";
import type { LogOptions } from "../nomad/logs.js";
import { UpstreamError } from "../upstream-error.js";

/**
 * Nomad's 404 for a task of an allocation it still has, but with no log
 * files: one whose job disables its log (the builder's checkout task, whose
 * word to the executor says all there is) or one stopped before it started.
 * An allocation its node has collected is a 404 too, but says "state for
 * allocation … not found on client": that log may be in the archive.
 */
const noLogFiles = /^log entry for task ".*" and log type "(stdout|stderr)" not found/;

/** A task's log, or nothing when Nomad keeps none for it. */
export async function keptLog(nomad: Nomad, allocId: string, options: LogOptions): Promise<Readable | undefined> {
  try {
    return await nomad.logs(allocId, options);
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404 && noLogFiles.test(error.body.trim())) return undefined;
    throw error;
  }
}
