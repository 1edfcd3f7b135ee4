import type { IncomingHttpHeaders } from "node:http";
import { eventHeaders, recogniseHook, type HookSource } from "../forge/forges.js";
import { HookError } from "./hook-error.js";

export type { HookSource };

/** Which forge sent a hook and what event it is, or a 400 saying what a hook must carry. */
export function identifyHook(headers: IncomingHttpHeaders, queryToken: string | undefined): HookSource {
  const source = recogniseHook(headers, queryToken !== undefined);
  if (source) return source;
  throw new HookError(400, `unknown sender: expected an ${eventHeaders.join(" or ")} header, or ?token= (Albatros form)`);
}

/** Metric labels for a hook: values a sender chooses are folded into a fixed set, so nobody can grow the metrics without bound. */
export function hookLabels(headers: IncomingHttpHeaders, queryToken: string | undefined): { forge: string; event: string } {
  const source = recogniseHook(headers, queryToken !== undefined);
  if (!source) return { forge: "unknown", event: "unknown" };
  const forge = source.albatros && source.forge.eventOf(headers) === undefined ? "albatros" : source.forge.name;
  return { forge, event: source.forge.events.includes(source.event) ? source.event : "other" };
}
