import { accessSync, constants } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { delimiter, join } from "node:path";
import type { Command } from "commander";
import { badUsageExits2, listenAddress, niceness, positive } from "../cli-arguments.js";
import { createLogger } from "../log.js";
import { installHook } from "./install-hook.js";
import { nixCopy } from "./nix-copy.js";
import { sameStore } from "./same-store.js";
import { openSpool, spoolDefaults } from "./spool.js";
import { createUploadMetrics, serveUploadMetrics } from "./upload-metrics.js";
import { createUploader } from "./uploader.js";


/** `petrel upload`: the node's side of the binary cache. */
export function registerUploadCommands(program: Command): void {
  program
    .command("upload")
    .exitOverride(badUsageExits2)
    .description("drain the Nix post-build spool to the binary cache, or install the post-build-hook that fills it")
    .option("--to <store-uri>", "the binary cache: file:///…, http(s)://…, s3://… where this node's Nix supports it; NARs in zstd unless it names ?compression=…")
    .option("--untrusted-to <store-uri>", "the cache for what the untrusted builds' nix-daemon built; without it, those paths are not uploaded")
    .option("--spool <dir>", "the spool folder", spoolDefaults.spool)
    .option("--gcroots <dir>", "where the hook roots queued outputs (under /nix/var/nix/gcroots)", spoolDefaults.uploadRoots)
    .option("--install-hook <file>", "instead of draining: write the post-build-hook for these --spool and --gcroots (name it in the nix-daemon's nix.conf)")
    .option("--nix-store <path>", "with --install-hook: nix-store's absolute path (default: found on PATH)")
    .option("--untrusted", "with --install-hook: the hook of the nix-daemon untrusted builds use; its entries go to --untrusted-to, or nowhere")
    .option("--attempts <n>", "failed attempts before an entry goes to the dead letters", positive, 5)
    .option("--parallel <n>", "nix copy processes at once", positive, 4)
    .option("--batch <n>", "derivations per nix copy", positive, 50)
    .option("--backoff-ms <ms>", "first retry delay, doubled after each failure", positive, 1000)
    .option("--poll-ms <ms>", "how often an idle uploader looks at the spool", positive, 250)
    .option("--settle-ms <ms>", "while builds still queue paths, wait for a full --batch or this long without a new one", positive, 500)
    .option("--metrics <host:port>", "serve Prometheus metrics (queue depth, dead letters, outcomes) at http://<host:port>/metrics", listenAddress)
    .option("--nice <n>", "the niceness (0–19) of the drain and its nix copy processes: builds on the node come first", niceness, 10)
    .option("--once", "drain what is queued (retries included), then exit: 0 when all went up, 1 when some went to the dead letters")
    .action(async (options: UploadOptions) => {
      if (options.installHook) return install(options.installHook, options);
      if (!options.to) fail("petrel upload: --to <store-uri> is required: the binary cache to upload to");
      if (options.untrustedTo !== undefined && sameStore(options.untrustedTo, options.to)) {
        fail("petrel upload: --untrusted-to names the trusted cache (--to): untrusted builds' paths must never land in it");
      }
      // Uploading is background work; the daemon's builds wait on the CPU it would take. Never lower than it is.
      setPriority(Math.max(getPriority(), options.nice));
      const logger = createLogger("info");
      const spool = openSpool(options.spool, options.gcroots);
      const metrics = createUploadMetrics(spool);
      const server = options.metrics ? await serveUploadMetrics(metrics, options.metrics.host, options.metrics.port).catch((error: Error) => fail(`petrel upload: --metrics: ${error.message}`)) : undefined;
      const uploader = createUploader({
        spool,
        copy: nixCopy,
        to: options.to,
        untrustedTo: options.untrustedTo,
        maxAttempts: options.attempts,
        parallel: options.parallel,
        batchSize: options.batch,
        backoffMs: options.backoffMs,
        logger,
        onOutcome: metrics.count,
      });
      if (options.once) {
        await uploader.drainAll();
        process.exitCode = uploader.counts.dead > 0 ? 1 : 0;
        server?.close();
        return;
      }
      const stop = new AbortController();
      process.once("SIGTERM", () => stop.abort()).once("SIGINT", () => stop.abort());
      logger.info({ to: options.to, untrustedTo: options.untrustedTo ?? "nowhere", spool: options.spool, queued: spool.list().length, dead: spool.dead().length }, "upload: started");
      await uploader.run(stop.signal, options.pollMs, options.settleMs);
      server?.close();
    });
}

function install(out: string, options: UploadOptions): void {
  const nixStore = options.nixStore ?? onPath("nix-store");
  if (!nixStore) fail("petrel upload --install-hook: nix-store is not on PATH; pass --nix-store");
  try {
    installHook(out, { spool: options.spool, gcroots: options.gcroots, nixStore, untrusted: options.untrusted === true });
  } catch (error) {
    fail(`petrel upload --install-hook: ${(error as Error).message}`);
  }
}

type UploadOptions = {
  to?: string;
  untrustedTo?: string;
  untrusted?: true;
  spool: string;
  gcroots: string;
  attempts: number;
  parallel: number;
  batch: number;
  backoffMs: number;
  pollMs: number;
  settleMs: number;
  nice: number;
  metrics?: { host: string; port: number };
  once?: true;
  installHook?: string;
  nixStore?: string;
};

/** Two store URIs for one cache: equal but for a trailing slash or store parameters (`?compression=…`). */
function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(78);
}
