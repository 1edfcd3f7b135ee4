import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type PostedStatus = { project: string; commit: string; token: string | undefined; body: Record<string, string>; receivedAt: number };

/**
 * GitLab's commit status API (`POST /api/v4/projects/:id/statuses/:sha`,
 * `PRIVATE-TOKEN`), recording what it is sent: GitLab itself can't run here.
 */
export async function startFakeGitlab(): Promise<{ url: string; posted: PostedStatus[]; close: () => Promise<void> }> {
  const posted: PostedStatus[] = [];
  const server = createServer((req, res) => {
    const match = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? "");
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      if (req.method !== "POST" || !match) {
        res.writeHead(404).end('{"message":"404 Not Found"}');
        return;
      }
      const token = req.headers["private-token"];
      posted.push({ project: decodeURIComponent(match[1]!), commit: match[2]!, token: Array.isArray(token) ? token[0] : token, body: JSON.parse(text) as Record<string, string>, receivedAt: Date.now() });
      res.writeHead(201, { "content-type": "application/json" }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
