import { ExecFailure } from "./exec-failure.js";

/** What `petrel fetch`, the builder's checkout task, reads of its environment. */
export type FetchEnv = {
  REPO_URL: string;
  COMMIT: string;
  /** Petrel's trust decision (meta TRUSTED): which of the node's mirrors the build uses. Unset is untrusted. */
  TRUSTED: boolean;
  /** Where the node keeps its bare git mirrors, shared by every build on it. */
  PETREL_GIT_CACHE: string;
  /** The file in which the checkout task, started alongside, says it brought COMMIT (the allocation's shared folder). */
  PETREL_FETCHED?: string | undefined;
};

/** The Albatros builder contract plus Petrel's own knobs, as the executor task's environment. */
export type ExecEnv = FetchEnv & {
  BRANCH: string;
  FLAVOR: string;
  SECRETS_URL?: string | undefined;
  /** Folder of the builds' GC roots; GCROOT is a per-commit path under it. */
  PETREL_GCROOTS: string;
  /** NIX_REMOTE of a build that is not trusted (an approved one), when the node has a daemon for them. */
  PETREL_UNTRUSTED_NIX_REMOTE?: string | undefined;
  /** Seconds to keep asking an unreachable (or restarting, 5xx) Petrel for the secrets before giving up. */
  PETREL_SECRETS_WAIT: number;
  /** Seconds the build script may run; 0 means no limit. */
  PETREL_EXEC_TIMEOUT: number;
  /** Where the work tree and the secrets file go: the task's own folders under Nomad. */
  NOMAD_TASK_DIR?: string | undefined;
  NOMAD_SECRETS_DIR?: string | undefined;
};

type Env = Readonly<Record<string, string | undefined>>;

/*
 * Checked here by hand, where the server checks its inputs with zod: both
 * tasks of every build start a Node process that reads these, and loading zod
 * took 105 of the 130 ms `petrel fetch` spent loading its modules.
 */

export const parseFetchEnv = (env: Env): FetchEnv => fetchEnvOf(reader(env, "petrel fetch"));

export function parseExecEnv(env: Env): ExecEnv {
  const read = reader(env, "petrel exec");
  return {
    ...fetchEnvOf(read),
    BRANCH: read.required("BRANCH"),
    FLAVOR: read.required("FLAVOR", /^[A-Za-z0-9_.-]+$/, "expected a flavor name (letters, digits, _ . -)"),
    // Under Nomad the dispatch meta is in the environment already; no need to interpolate an optional key.
    SECRETS_URL: read.optional("SECRETS_URL", httpUrl, "expected an http(s) URL", "NOMAD_META_SECRETS_URL"),
    PETREL_GCROOTS: read.optional("PETREL_GCROOTS") ?? "/nix/var/nix/gcroots/petrel",
    PETREL_UNTRUSTED_NIX_REMOTE: read.optional("PETREL_UNTRUSTED_NIX_REMOTE"),
    PETREL_SECRETS_WAIT: read.seconds("PETREL_SECRETS_WAIT", 600),
    PETREL_EXEC_TIMEOUT: read.seconds("PETREL_EXEC_TIMEOUT", 0),
    NOMAD_TASK_DIR: read.optional("NOMAD_TASK_DIR"),
    NOMAD_SECRETS_DIR: read.optional("NOMAD_SECRETS_DIR"),
  };
}

/** What both tasks read: the checkout task's share of the executor's environment. */
function fetchEnvOf(read: Reader): FetchEnv {
  return {
    REPO_URL: read.required("REPO_URL"),
    COMMIT: read.required("COMMIT", /^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a full commit hash"),
    TRUSTED: (read.optional("TRUSTED", /^(true|false)$/, "expected true or false", "NOMAD_META_TRUSTED") ?? "false") === "true",
    PETREL_GIT_CACHE: read.optional("PETREL_GIT_CACHE") ?? "/var/cache/petrel/git",
    PETREL_FETCHED: read.optional("PETREL_FETCHED"),
  };
}

/** A URL that parses, with scheme http or https. */
const httpUrl = { test: (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) };

/** What a variable must look like: a RegExp, or anything else that tests a value. */
type Pattern = { test: (value: string) => boolean };
type Reader = ReturnType<typeof reader>;

/** Reads variables of `env`, failing with the usage code and one line naming the variable. */
function reader(env: Env, command: string) {
  const fail = (name: string, problem: string): never => {
    throw new ExecFailure("usage", `${command}: ${name} ${problem}`);
  };
  // An empty variable (Nomad interpolates a missing optional meta key to "") counts as unset.
  const value = (name: string) => (env[name] === "" ? undefined : env[name]);
  const optional = (name: string, pattern?: Pattern, expected?: string, fallback?: string): string | undefined => {
    const found = value(name) ?? (fallback === undefined ? undefined : value(fallback));
    if (found !== undefined && pattern !== undefined && !pattern.test(found)) fail(name, expected ?? "is invalid");
    return found;
  };
  return {
    optional,
    required: (name: string, pattern?: Pattern, expected?: string): string => optional(name, pattern, expected) ?? fail(name, "is required"),
    seconds: (name: string, fallback: number): number => Number(optional(name, /^\d+$/, "expected whole seconds") ?? fallback),
  };
}
