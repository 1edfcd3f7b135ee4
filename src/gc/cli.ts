import type { Command } from "commander";
import { positive } from "../cli-arguments.js";
import { defaultSpool, defaultUploadRoots } from "../upload/cli.js";
import { openSpool } from "../upload/spool.js";
import { collectGarbage } from "./collect.js";
import { findOldRoots, removeRoots } from "./old-roots.js";
import { rootQueuedOutputs } from "./queued-roots.js";

const day = 24 * 60 * 60 * 1000;

/** `petrel gc`: a build node's periodic clean-up, run by hcl/gc.hcl. */
export function registerGcCommands(program: Command): void {
  program
    .command("gc")
    .description("remove build GC roots older than --days, then collect the Nix store's garbage, keeping every path still queued for upload")
    .option("--gcroots <dir>", "the builds' GC roots (the builder's gcroots)", "/nix/var/nix/gcroots/petrel")
    .option("--days <n>", "age in days after which a build's GC root goes", positive, 7)
    .option("--spool <dir>", "the upload spool, whose entries keep their roots", defaultSpool)
    .option("--upload-gcroots <dir>", "where the post-build-hook roots queued outputs", defaultUploadRoots)
    .option("--dry-run", "remove nothing: say which roots would go and how many store paths would be collected")
    .option("--no-collect", "only remove the old roots")
    .action(async (options: GcOptions) => {
      try {
        process.stdout.write(`${JSON.stringify(await gc(options))}\n`);
      } catch (error) {
        process.stderr.write(`petrel gc: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

type GcOptions = { gcroots: string; days: number; spool: string; uploadGcroots: string; dryRun?: true; collect: boolean };

async function gc({ gcroots, days, spool: spoolDir, uploadGcroots, dryRun = undefined, collect }: GcOptions) {
  const { old, kept } = findOldRoots(gcroots, days * day);
  const spool = openSpool(spoolDir, uploadGcroots);
  const waiting = [...spool.list(), ...spool.deadEntries()];
  if (dryRun) {
    const collected = collect ? await collectGarbage(true) : undefined;
    return { dryRun: true, oldRoots: old, keptRoots: kept, queued: waiting.length, ...(collected ? { wouldCollect: collected.deleted } : {}) };
  }
  removeRoots(gcroots, old);
  // Roots first, collection after: a queued path is never without its root while the collector runs.
  const { reRooted, gone } = rootQueuedOutputs(waiting, uploadGcroots);
  const collected = collect ? await collectGarbage(false) : undefined;
  return { removedRoots: old.length, keptRoots: kept, queued: waiting.length, reRooted: reRooted.length, goneBeforeUpload: gone, ...(collected ? { collected } : {}) };
}
