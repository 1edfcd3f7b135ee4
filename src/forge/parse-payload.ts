import type { z } from "zod";
import { HookPayloadError } from "./build-request.js";

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
