import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecFailure } from "./exec-failure.js";

const redeemTimeoutMs = 30_000;

/**
 * Redeems a trusted build's single-use secrets URL, once, into a file only
 * this user can read. The URL, the token and the body never reach the log:
 * a failure names only the status or the network error.
 */
export async function redeemSecrets(url: string, dir: string): Promise<{ path: string; remove: () => void }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(redeemTimeoutMs), redirect: "error" });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new ExecFailure("secrets", `petrel exec: the secrets URL could not be reached (${cause})`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new ExecFailure("secrets", `petrel exec: the secrets URL refused redemption: HTTP ${response.status} ${refusal(response.status)}`);
  }
  const body = Buffer.from(await response.arrayBuffer());
  const folder = mkdtempSync(join(dir, "petrel-secrets-"));
  const path = join(folder, "secrets");
  writeFileSync(path, body, { mode: 0o600, flag: "wx" });
  return { path, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

function refusal(status: number): string {
  if (status === 410) return "(already used: a build's secrets are given once)";
  if (status === 401) return "(expired or not valid)";
  if (status === 404) return "(the repository's config is gone)";
  return "(unexpected answer)";
}
