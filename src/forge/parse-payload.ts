import { z } from "zod";
import { HookPayloadError } from "./build-request.js";

/** A commit as forges name it: SHA-1 or SHA-256, in full. It goes into URLs, so nothing else passes. */
export const commitId = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a full commit hash (40 or 64 hex digits)");

/** Validates a payload against its event's schema; the error names the first field that is wrong. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "(body)";
  throw new HookPayloadError(`${what}: ${field}: ${issue?.message ?? "invalid"}`);
}

/** `https://git.example.org/owner/repo` minus `owner/repo`: the forge's own base URL. */
export function forgeBase(webUrl: string, repoPath: string): string {
  const url = webUrl.replace(/\/+$/, "");
  return url.endsWith(`/${repoPath}`) ? url.slice(0, -repoPath.length - 1) : new URL(url).origin;
}

/**
 * The repository a payload names for statuses (`owner/name`, a GitLab
 * namespace path) must be the one its clone URL names: the clone URL chose the
 * repo config whose token will post the statuses. A payload naming another
 * repository is refused, never posted to.
 */
export function sameRepository(clone: { field: string; url: string }, repo: { field: string; path: string }): string {
  let path: string;
  try {
    path = new URL(clone.url).pathname;
  } catch {
    throw new HookPayloadError(`${clone.field}: not a URL`);
  }
  const named = path.replace(/\/+$/, "").replace(/\.git$/, "").toLowerCase();
  if (!named.endsWith(`/${repo.path.toLowerCase()}`)) throw new HookPayloadError(`${repo.field}: '${repo.path}' is not the repository of ${clone.field} (${clone.url})`);
  return repo.path;
}
