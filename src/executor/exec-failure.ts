/**
 * Why `petrel exec` ended before (or instead of) the build script's own
 * verdict. Each reason has its own exit code, so a build's failure tells at a
 * glance whether the repository or the node is to blame. The codes follow
 * sysexits.h, and coreutils' `timeout` for a timeout.
 */
export const execExitCodes = {
  /** REPO_URL, COMMIT, BRANCH or FLAVOR missing or malformed. */
  usage: 64,
  /** The commit has no executable `.albatros`. */
  noScript: 66,
  /** The repository could not be fetched or the commit checked out. */
  checkout: 75,
  /** SECRETS_URL was refused (used, expired, forged) or could not be reached. */
  secrets: 77,
  /** The build script ran past its time limit and was stopped. */
  timeout: 124,
} as const;

export type ExecFailureReason = keyof typeof execExitCodes;

/** One clear line for the build log, and the exit code that goes with it. */
export class ExecFailure extends Error {
  readonly exitCode: number;
  constructor(readonly reason: ExecFailureReason, message: string) {
    super(message);
    this.name = "ExecFailure";
    this.exitCode = execExitCodes[reason];
  }
}
