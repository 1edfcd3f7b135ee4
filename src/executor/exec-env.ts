import { z } from "zod";
import { ExecFailure } from "./exec-failure.js";

/** The Albatros builder contract plus Petrel's own knobs, as the executor task's environment. */
const execEnvSchema = z.object({
  REPO_URL: z.string().min(1, "is required"),
  COMMIT: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a full commit hash"),
  BRANCH: z.string().min(1, "is required"),
  FLAVOR: z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a flavor name (letters, digits, _ . -)"),
  SECRETS_URL: z.url("expected an http(s) URL").optional(),
  /** Where the node keeps its bare git mirrors, shared by every build on it. */
  PETREL_GIT_CACHE: z.string().min(1).default("/var/cache/petrel/git"),
  /** Folder of the builds' GC roots; GCROOT is a per-commit path under it. */
  PETREL_GCROOTS: z.string().min(1).default("/nix/var/nix/gcroots/petrel"),
  /** Seconds the build script may run; 0 means no limit. */
  PETREL_EXEC_TIMEOUT: z.coerce.number().int().nonnegative().default(0),
  /** Where the work tree and the secrets file go: the task's own folders under Nomad. */
  NOMAD_TASK_DIR: z.string().min(1).optional(),
  NOMAD_SECRETS_DIR: z.string().min(1).optional(),
});

export type ExecEnv = z.infer<typeof execEnvSchema>;

export function parseExecEnv(env: Readonly<Record<string, string | undefined>>): ExecEnv {
  // An empty variable (Nomad interpolates a missing optional meta key to "") counts as unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  // Under Nomad the dispatch meta is in the environment already; no need to interpolate an optional key.
  present.SECRETS_URL ??= present.NOMAD_META_SECRETS_URL;
  const parsed = execEnvSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? "environment");
  const problem = issue?.code === "invalid_type" ? "is required" : (issue?.message ?? "is invalid");
  throw new ExecFailure("usage", `petrel exec: ${variable} ${problem}`);
}
