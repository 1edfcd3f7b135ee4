import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecFailure } from "./exec-failure.js";

const redeemTimeoutMs = 30_000;

/**
 * Redeems a trusted build's single-use secrets URL, once, into a file only
 * this user can read in `dir`, proving who asks with the task's Nomad
 * workload identity (`identity { file = true }` puts it in the same secrets
 * folder, `nomad_token`; outside Nomad there is none). The
 * URL, the token, the identity and the body never reach the log: a failure
 * names only the status and Petrel's reason, or the network error.
 */
export async function redeemSecrets(url: string, dir: string): Promise<{ path: string; remove: () => void }> {
  const identity = workloadIdentity(dir);
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(redeemTimeoutMs),
      redirect: "error",
      headers: identity === undefined ? {} : { authorization: `Bearer ${identity}` },
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new ExecFailure("secrets", `petrel exec: the secrets URL could not be reached (${cause})`);
  }
  if (response.status !== 200) {
    const reason = await refusal(response);
    throw new ExecFailure("secrets", `petrel exec: the secrets URL refused redemption: HTTP ${response.status} (${reason})`);
  }
  const body = Buffer.from(await response.arrayBuffer());
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
