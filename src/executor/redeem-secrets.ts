import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecFailure } from "./exec-failure.js";

const redeemTimeoutMs = 30_000;
const firstRetryMs = 1_000;
const longestRetryMs = 15_000;

export type RedeemOptions = { waitSeconds: number; log: (line: string) => void };

/**
 * Redeems a trusted build's single-use secrets URL, once, into a file only
 * this user can read in `dir`, proving who asks with the task's Nomad
 * workload identity (`identity { file = true }` puts it in the same secrets
 * folder, `nomad_token`; outside Nomad there is none). A Petrel that can't be
 * reached or answers 5xx (restarting, a rolling update) is asked again with
 * backoff for up to `waitSeconds`; a refusal (4xx) is final at once. The
 * URL, the token, the identity and the body never reach the log: a failure
 * names only the status and Petrel's reason, or the network error.
 */
export async function redeemSecrets(url: string, dir: string, { waitSeconds, log }: RedeemOptions): Promise<{ path: string; remove: () => void }> {
  const identity = workloadIdentity(dir);
  const deadline = Date.now() + waitSeconds * 1000;
  for (let delay = firstRetryMs; ; delay = Math.min(delay * 2, longestRetryMs)) {
    const answer = await ask(url, identity);
    if (answer instanceof Response && answer.status === 200) return store(dir, Buffer.from(await answer.arrayBuffer()));
    if (answer instanceof Response && answer.status < 500) {
      throw new ExecFailure("secrets", `petrel exec: the secrets URL refused redemption: HTTP ${answer.status} (${await refusal(answer)})`);
    }
    const problem = answer instanceof Response ? `HTTP ${answer.status}` : answer.problem;
    // A certificate that doesn't verify stays so: asking again would only delay the same failure.
    if (!(answer instanceof Response) && !answer.transient) throw new ExecFailure("secrets", `petrel exec: the secrets URL could not be reached (${problem})`);
    const pause = Math.min(delay, deadline - Date.now());
    if (pause <= 0) throw new ExecFailure("secrets", `petrel exec: the secrets URL could not be reached (${problem}) within ${waitSeconds} s`);
    log(`petrel: the secrets URL could not be reached (${problem}); asking again in ${Math.ceil(pause / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Petrel's answer, or why there was none and whether it may pass. */
async function ask(url: string, identity: string | undefined): Promise<Response | { problem: string; transient: boolean }> {
  try {
    return await fetch(url, {
      signal: AbortSignal.timeout(redeemTimeoutMs),
      redirect: "error",
      headers: identity === undefined ? {} : { authorization: `Bearer ${identity}` },
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
    const code = String((cause as NodeJS.ErrnoException | undefined)?.code ?? "");
    return { problem: cause?.message ?? String(error), transient: !/CERT|TLS|SSL|SIGNATURE/.test(code) };
  }
}

function store(dir: string, body: Buffer): { path: string; remove: () => void } {
  const folder = mkdtempSync(join(dir, "petrel-secrets-"));
  const path = join(folder, "secrets");
  writeFileSync(path, body, { mode: 0o600, flag: "wx" });
  return { path, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

function workloadIdentity(secretsDir: string): string | undefined {
  const file = join(secretsDir, "nomad_token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** Petrel says why in a JSON `error`; anything else is named by its status alone. */
async function refusal(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const reason = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof reason === "string") return reason;
  } catch {
    // Not Petrel's JSON.
  }
  return "unexpected answer";
}
