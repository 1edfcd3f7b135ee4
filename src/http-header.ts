import type { IncomingHttpHeaders } from "node:http";

/** A request header's first value; an empty one counts as absent. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}
