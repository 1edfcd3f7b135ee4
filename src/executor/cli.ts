import type { Command } from "commander";
import { runExec } from "./exec.js";
import { ExecFailure } from "./exec-failure.js";
import { runFetch } from "./fetch.js";

/** `petrel fetch` and `petrel exec`: the builder's checkout task and its executor task. */
export function registerExecCommands(program: Command): void {
  program
    .command("fetch")
    .description("bring a build's commit into the node's git mirror, as the builder's checkout task (reads REPO_URL COMMIT [TRUSTED] from the environment)")
    .action(() => reportFailure(async () => runFetch(process.env, log).then(() => 0)));
  program
    .command("exec")
    .description("run one build inside the builder's executor task (reads REPO_URL COMMIT BRANCH FLAVOR [SECRETS_URL] from the environment)")
    .action(() => reportFailure(() => runExec(process.env, log)));
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The exit code of `run`, or of the failure that ended it, with its one line. */
async function reportFailure(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    if (!(error instanceof ExecFailure)) throw error;
    log(error.message);
    process.exitCode = error.exitCode;
  }
}
