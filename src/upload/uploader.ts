import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log.js";
import type { CopyPaths } from "./nix-copy.js";
import type { Spool, SpoolEntry } from "./spool.js";
import type { UploadOutcome } from "./upload-metrics.js";

export type UploaderOptions = {
  spool: Spool;
  copy: CopyPaths;
  /** The binary cache's store URI: file://…, http(s)://…, s3://… where the node's Nix has it. */
  to: string;
  /** Where what the untrusted daemon built goes; without it, nowhere: its entries are let go. */
  untrustedTo?: string | undefined;
  /** Failed attempts before an entry goes to the dead letters. */
  maxAttempts: number;
  /** nix copy processes at once. */
  parallel: number;
  /** Derivations per nix copy: one process per path would cost more than the copy. */
  batchSize: number;
  /** First retry delay; doubled after each failure, up to a minute. */
  backoffMs: number;
  logger: Logger;
  /** Told each derivation's outcome, for metrics. */
  onOutcome?: (outcome: UploadOutcome) => void;
};

/**
 * Drains the spool to the binary cache. A batch that fails is retried one
 * derivation at a time, so one bad path never holds back the others; each
 * failure backs that entry off, and after `maxAttempts` it is set aside.
 */
export function createUploader({ spool, copy, to, untrustedTo, maxAttempts, parallel, batchSize, backoffMs, logger, onOutcome }: UploaderOptions) {
  const notBefore = new Map<string, number>();
  const counts: Record<UploadOutcome, number> = { uploaded: 0, failed: 0, dead: 0, discarded: 0 };
  const count = (outcome: UploadOutcome) => {
    counts[outcome] += 1;
    onOutcome?.(outcome);
  };

  const fail = (entry: SpoolEntry, error: unknown) => {
    count("failed");
    const attempts = spool.recordFailure(entry);
    const reason = error instanceof Error ? error.message : String(error);
    if (attempts >= maxAttempts) {
      spool.deadLetter(entry);
      notBefore.delete(entry.name);
      count("dead");
      logger.error({ drv: entry.drv, attempts, reason }, "upload: gave up on a derivation, moved to the dead letters");
      return;
    }
    notBefore.set(entry.name, Date.now() + Math.min(backoffMs * 2 ** (attempts - 1), 60_000));
    logger.warn({ drv: entry.drv, attempts, reason }, "upload: failed, will retry");
  };

  /** Untrusted builds never reach the trusted cache; a batch holds one kind only. */
  const destination = (entry: SpoolEntry) => (entry.trusted ? to : untrustedTo);

  const upload = async (batch: SpoolEntry[]): Promise<void> => {
    try {
      await copy(destination(batch[0]!)!, batch.flatMap((entry) => entry.outputs));
    } catch (error) {
      if (batch.length === 1) return fail(batch[0]!, error);
      for (const entry of batch) await upload([entry]);
      return;
    }
    for (const entry of batch) {
      spool.complete(entry);
      notBefore.delete(entry.name);
      count("uploaded");
    }
  };

  /** An untrusted build's entry with no untrusted cache to go to: its roots go, nothing is uploaded. */
  const letGo = (entry: SpoolEntry) => {
    spool.complete(entry);
    notBefore.delete(entry.name);
    count("discarded");
  };

  /** One pass over what is due; answers how many entries it tried. */
  async function drainOnce(): Promise<number> {
    const queued = spool.list();
    const now = Date.now();
    const due = queued.filter((entry) => (notBefore.get(entry.name) ?? 0) <= now);
    for (const entry of due.filter((entry) => entry.problem !== undefined)) fail(entry, new Error(entry.problem));
    const valid = due.filter((entry) => entry.problem === undefined);
    for (const entry of valid.filter((entry) => destination(entry) === undefined)) letGo(entry);
    const batches: SpoolEntry[][] = [];
    for (const kind of [true, false]) {
      const sent = valid.filter((entry) => entry.trusted === kind && destination(entry) !== undefined);
      for (let i = 0; i < sent.length; i += batchSize) batches.push(sent.slice(i, i + batchSize));
    }
    const workers = Array.from({ length: Math.min(parallel, batches.length) }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) await upload(batch);
    });
    await Promise.all(workers);
    if (due.length > 0) logger.info({ queued: queued.length, tried: due.length, ...counts }, "upload: pass done");
    return due.length;
  }

  /**
   * Builds come in bursts, and every `nix copy` costs a process start that
   * takes CPU from them: while the spool still fills, wait for a full batch,
   * or for `settleMs` without a new entry, then drain. Looks again every
   * `pollMs`, until `signal` aborts; at the spool's size only, since reading
   * every entry at each look was most of the uploader's own CPU while builds ran.
   */
  async function run(signal: AbortSignal, pollMs: number, settleMs: number): Promise<void> {
    let seen = { size: 0, since: Date.now() };
    while (!signal.aborted) {
      const size = spool.size();
      if (size !== seen.size) seen = { size, since: Date.now() };
      const settled = size >= batchSize || (size > 0 && Date.now() - seen.since >= settleMs);
      if (!settled || (await drainOnce()) === 0) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Drains until nothing is queued but entries waiting out a backoff; answers what is left. */
  async function drainAll(): Promise<number> {
    for (;;) {
      if ((await drainOnce()) > 0) continue;
      const left = spool.list();
      if (left.length === 0) return 0;
      const wake = Math.min(...left.map((entry) => notBefore.get(entry.name) ?? 0));
      await sleep(Math.max(0, wake - Date.now()));
    }
  }

  return { drainOnce, drainAll, run, counts };
}
