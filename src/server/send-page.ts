import { createHash } from "node:crypto";
import type { Response } from "express";

/**
 * Serves one of Petrel's static pages under a policy that lets it do only
 * what it does: its own inline module script (by hash) and scripts from
 * Petrel, requests to Petrel, no frames around it. Styles may be inline:
 * ansi_up colours a log with style attributes, and it escapes the log's HTML.
 */
export function pageSender(html: string): (res: Response) => void {
  const scripts = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash("sha256").update(match[1]!, "utf8").digest("base64")}'`,
  );
  const policy = [
    "default-src 'none'",
    `script-src 'self' ${scripts.join(" ")}`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = {
    "cache-control": "no-store",
    "content-security-policy": policy,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
  return (res) => void res.type("html").set(headers).send(html);
}

/** One of Petrel's pages: the document around its header and sections, with its style and its one module script. */
export function pageDocument({ title, style, body, script }: { title: string; style: string; body: string; script: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${style}</style>
</head>
<body>${body}<script type="module">${script}</script>
</body>
</html>
`;
}
