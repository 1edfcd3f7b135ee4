import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import type { BuildArchive } from "../archive/build-archive.js";
import { ArchiveUnavailableError } from "../archive/object-store.js";
import { openArchive } from "../archive/open-archive.js";
import { ConfigError, readConfig } from "../config.js";
import { createNomad, type Nomad } from "../nomad/client.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";
import { toBuildStatus } from "./build-status.js";
import { formatBuildDetail, formatBuildTable } from "./format.js";
import { listBuilds } from "./list-builds.js";
import { BuildNotFoundError, NotABuildError } from "./load-build.js";
import { archivedStatus, locateBuild } from "./locate-build.js";
import { buildHistory } from "./build-history.js";
import { createBuildLogs, sendBuildLog } from "./read-log.js";

/**
 * `petrel status` and `petrel logs`: they read Nomad directly, with the Nomad
 * CLI's own NOMAD_* variables, so they work while Petrel itself is down, and
 * a build Nomad has forgotten from the archive (PETREL_ARCHIVE).
 */
export function registerBuildCommands(program: Command): void {
  program
    .command("logs")
    .description("print a build's log (stdout, or stderr with --stderr); with -f, follow it until the build ends")
    .argument("<job>", "the dispatched job id, e.g. builder/dispatch-1700000000-0123abcd")
    .option("-f, --follow", "keep printing new output until the build ends")
    .option("--stderr", "print the build's stderr instead of its stdout")
    .option("--task <name>", "another task than the builder's executor")
    .action((job: string, options: { follow?: boolean; stderr?: boolean; task?: string }) =>
      run("logs", async ({ nomad, archive }) => {
        const located = await locateBuild(nomad, archive, job);
        if (located.from === "archive") {
          const type = options.stderr ? "stderr" : "stdout";
          const log = await archive!.log(job, options.task ?? located.record.status.task, type);
          if (log) await pipeline(log, process.stdout, { end: false });
          return;
        }
        const log = createBuildLogs(nomad).read(job, {
          type: options.stderr ? "stderr" : "stdout",
          follow: options.follow ?? false,
          ...(options.task === undefined ? {} : { task: options.task }),
        });
        await sendBuildLog(log, process.stdout);
      }),
    );

  program
    .command("status")
    .description("list recent builds, or show one build in detail")
    .argument("[job]", "a dispatched job id: show this build")
    .option("--repo <url>", "only builds of this repository (clone URL, or owner/name); with PETREL_ARCHIVE, archived ones too")
    .option("--branch <name>", "only builds of this branch (or pull request number)")
    .option("--limit <n>", "at most this many builds", "20")
    .action((job: string | undefined, options: { repo?: string; branch?: string; limit: string }) =>
      run("status", async ({ nomad, archive }) => {
        if (job !== undefined) {
          const located = await locateBuild(nomad, archive, job);
          process.stdout.write(formatBuildDetail(located.from === "nomad" ? toBuildStatus(located.build) : archivedStatus(located.record)));
          return;
        }
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive whole number (got '${options.limit}')`);
        // A repository's history goes on in the archive after Nomad forgets its builds.
        const builds = archive && options.repo !== undefined
          ? (await buildHistory({ nomad, archive })({ repo: options.repo, ...refOption(options.branch), limit })).builds.slice(0, limit)
          : await listBuilds(nomad, { ...pick(options, "repo", "branch"), limit });
        process.stdout.write(builds.length === 0 ? "no builds\n" : formatBuildTable(builds));
      }),
    );
}

class UsageError extends Error {}

/** `--branch` names a branch, or a pull request as `7` or `#7`. */
const refOption = (branch: string | undefined) => {
  if (branch === undefined) return {};
  const pr = /^#?(\d+)$/.exec(branch)?.[1];
  return { ref: pr === undefined ? { branch } : { pr: Number(pr) } };
};

/**
 * Runs a command against Nomad, and the archive when PETREL_ARCHIVE names
 * one; every expected failure is one line on stderr and a non-zero exit.
 */
async function run(name: string, body: (from: { nomad: Nomad; archive?: BuildArchive }) => Promise<void>): Promise<void> {
  try {
    const config = readConfig(process.env);
    const archive = config.archive && (await openArchive(config.archive));
    await body({ nomad: createNomad(config.nomad), ...(archive ? { archive } : {}) });
  } catch (error) {
    const [status, message] = describeFailure(error);
    process.stderr.write(`petrel ${name}: ${message}\n`);
    process.exit(status);
  }
}

function describeFailure(error: unknown): [number, string] {
  if (error instanceof ConfigError) return [2, `invalid configuration: ${error.message}`];
  if (error instanceof UsageError) return [2, error.message];
  if (error instanceof BuildNotFoundError || error instanceof NotABuildError) return [1, error.message];
  // EX_UNAVAILABLE, like the commands that are not there yet: try again when Nomad is back.
  if (error instanceof UpstreamUnavailableError) return [69, `${error.message} (NOMAD_ADDR)`];
  if (error instanceof ArchiveUnavailableError) return [69, `${error.message} (PETREL_ARCHIVE)`];
  if (error instanceof UpstreamError) return [1, error.message];
  throw error;
}

function pick<T extends Record<string, unknown>, K extends keyof T>(object: T, ...keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]])) as Partial<Pick<T, K>>;
}
