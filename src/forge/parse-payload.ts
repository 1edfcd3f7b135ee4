import { z } from "zod";
import { HookPayloadError } from "./build-request.js";

/** A commit as forges name it: SHA-1 or SHA-256, in full. It goes into URLs, so nothing else passes. */
export const commitId = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a full commit hash (40 or 64 hex digits)");

/**
 * Bounds on what a sender names, checked before anything reaches Consul or
 * Nomad: real URLs and names are far shorter, and a key or meta value of
 * hundreds of kilobytes is refused upstream with an error that isn't the sender's.
 */
const maxUrl = 2048;
const maxName = 255;
const maxRef = 1024;

const isUrl = (value: string) => URL.canParse(value);
export const payloadUrl = z.string().min(1).max(maxUrl).refine(isUrl, "not a URL");
export const payloadName = z.string().min(1).max(maxName);
export const payloadRef = z.string().min(1).max(maxRef);

/**
 * The clone URL at `outer.inner` of a payload, read before anything else so
 * the repository's config can be looked up: a bounded, parseable URL.
 */
export function repositoryUrlAt(payload: unknown, outer: string, inner: string): string {
  const holder = payload !== null && typeof payload === "object" && Object.hasOwn(payload, outer) ? (payload as Record<string, unknown>)[outer] : undefined;
  const url = holder !== null && typeof holder === "object" && Object.hasOwn(holder, inner) ? (holder as Record<string, unknown>)[inner] : undefined;
  if (typeof url !== "string" || url === "") throw new HookPayloadError(`${outer}.${inner}: missing; the payload doesn't name its repository`);
  const checked = payloadUrl.safeParse(url);
  if (!checked.success) throw new HookPayloadError(`${outer}.${inner}: ${url.length > maxUrl ? `longer than ${maxUrl} characters` : "not a URL"}`);
  return url;
}

/** Validates a payload against its event's schema; the error names the first field that is wrong. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "(body)";
  throw new HookPayloadError(`${what}: ${field}: ${issue?.message ?? "invalid"}`);
}

/** `https://git.example.org/owner/repo` minus `owner/repo`: the forge's own base URL. */
export function forgeBase(web: { field: string; url: string }, repoPath: string): string {
  const url = web.url.replace(/\/+$/, "");
  if (url.endsWith(`/${repoPath}`)) return url.slice(0, -repoPath.length - 1);
  if (!URL.canParse(url)) throw new HookPayloadError(`${web.field}: not a URL`);
  return new URL(url).origin;
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
