import type { Command } from "commander";
import { badUsageExits2, positive } from "../cli-arguments.js";
import { openSpool, spoolDefaults } from "../upload/spool.js";
import { collectGarbage } from "./collect.js";
import { findOldRoots, removeRoots } from "./old-roots.js";
import { rootQueuedOutputs } from "./queued-roots.js";

const day = 24 * 60 * 60 * 1000;

/** `petrel gc`: a build node's periodic clean-up, run by hcl/gc.hcl. Exits 0 done, 1 failed (Nix, the file system), 2 bad usage. */
export function registerGcCommands(program: Command): void {
  program
    .command("gc")
    .exitOverride(badUsageExits2)
    .description("remove build GC roots older than --days, then collect the Nix store's garbage, keeping every path still queued for upload")
    .option("--gcroots <dir>", "the builds' GC roots (the builder's gcroots)", "/nix/var/nix/gcroots/petrel")
    .option("--days <n>", "age in days after which a build's GC root goes", positive, 7)
    .option("--spool <dir>", "the upload spool, whose entries keep their roots", spoolDefaults.spool)
    .option("--upload-gcroots <dir>", "where the post-build-hook roots queued outputs", spoolDefaults.uploadRoots)
    .option("--dry-run", "remove nothing: say which roots would go and how many store paths are dead already")
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
  const spool = openSpool(spoolDir, uploadGcroots, { readOnly: dryRun === true });
  const waiting = [...spool.list(), ...spool.deadEntries()];
  if (dryRun) {
    const collected = collect ? await collectGarbage(true) : undefined;
    return { dryRun: true, oldRoots: old, keptRoots: kept, queued: waiting.length, ...(collected ? { deadNow: collected.deleted } : {}) };
  }
  removeRoots(gcroots, old, days * day);
  // Roots first, collection after: a queued path is never without its root while the collector runs.
  const { reRooted, released, gone } = rootQueuedOutputs(waiting, uploadGcroots);
  const collected = collect ? await collectGarbage(false) : undefined;
  return {
    removedRoots: old.length,
    keptRoots: kept,
    queued: waiting.length,
    reRooted: reRooted.length,
    released,
    goneBeforeUpload: gone,
    ...(collected ? { collected } : {}),
  };
}
