import type { Command } from "commander";
import { runExec } from "./exec.js";
import { ExecFailure } from "./exec-failure.js";

/** `petrel exec`: what the builder's executor task runs. */
export function registerExecCommands(program: Command): void {
  program
    .command("exec")
    .description("run one build inside the builder's executor task (reads REPO_URL COMMIT BRANCH FLAVOR [SECRETS_URL] from the environment)")
    .action(async () => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      try {
        process.exitCode = await runExec(process.env, log);
      } catch (error) {
        if (!(error instanceof ExecFailure)) throw error;
        log(error.message);
        process.exitCode = error.exitCode;
      }
    });
}
