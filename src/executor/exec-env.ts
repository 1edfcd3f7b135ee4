import { z } from "zod";
import { ExecFailure } from "./exec-failure.js";

/** The Albatros builder contract plus Petrel's own knobs, as the executor task's environment. */
const execEnvSchema = z.object({
  REPO_URL: z.string().min(1, "is required"),
  COMMIT: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a full commit hash"),
  BRANCH: z.string().min(1, "is required"),
  FLAVOR: z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a flavor name (letters, digits, _ . -)"),
  SECRETS_URL: z.url("expected an http(s) URL").optional(),
  /** Petrel's trust decision (meta TRUSTED): which of the node's mirrors the build uses. Unset is untrusted. */
  TRUSTED: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
  /** Where the node keeps its bare git mirrors, shared by every build on it. */
  PETREL_GIT_CACHE: z.string().min(1).default("/var/cache/petrel/git"),
  /** Folder of the builds' GC roots; GCROOT is a per-commit path under it. */
  PETREL_GCROOTS: z.string().min(1).default("/nix/var/nix/gcroots/petrel"),
  /** NIX_REMOTE of a build that is not trusted (an approved one), when the node has a daemon for them. */
  PETREL_UNTRUSTED_NIX_REMOTE: z.string().min(1).optional(),
  /** Seconds to keep asking an unreachable (or restarting, 5xx) Petrel for the secrets before giving up. */
  PETREL_SECRETS_WAIT: z.coerce.number().int().nonnegative().default(600),
  /** Seconds the build script may run; 0 means no limit. */
  PETREL_EXEC_TIMEOUT: z.coerce.number().int().nonnegative().default(0),
  /** Where the work tree and the secrets file go: the task's own folders under Nomad. */
  /** The file in which the checkout task, started alongside, says it brought COMMIT (the allocation's shared folder). */
  PETREL_FETCHED: z.string().min(1).optional(),
  NOMAD_TASK_DIR: z.string().min(1).optional(),
  NOMAD_SECRETS_DIR: z.string().min(1).optional(),
});

export type ExecEnv = z.infer<typeof execEnvSchema>;

/** What `petrel fetch`, the builder's checkout task, needs of the same environment. */
const fetchEnvSchema = execEnvSchema.pick({ REPO_URL: true, COMMIT: true, TRUSTED: true, PETREL_GIT_CACHE: true, PETREL_FETCHED: true });

export type FetchEnv = z.infer<typeof fetchEnvSchema>;

export const parseExecEnv = (env: Env): ExecEnv => parseEnv(execEnvSchema, env, "petrel exec");
export const parseFetchEnv = (env: Env): FetchEnv => parseEnv(fetchEnvSchema, env, "petrel fetch");

type Env = Readonly<Record<string, string | undefined>>;

function parseEnv<Schema extends z.ZodType>(schema: Schema, env: Env, command: string): z.infer<Schema> {
  // An empty variable (Nomad interpolates a missing optional meta key to "") counts as unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  // Under Nomad the dispatch meta is in the environment already; no need to interpolate an optional key.
  present.SECRETS_URL ??= present.NOMAD_META_SECRETS_URL;
  present.TRUSTED ??= present.NOMAD_META_TRUSTED;
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? "environment");
  const problem = issue?.code === "invalid_type" ? "is required" : (issue?.message ?? "is invalid");
  throw new ExecFailure("usage", `${command}: ${variable} ${problem}`);
}
