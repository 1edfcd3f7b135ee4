/**
 * The least a Node process can do for a hook, run as its own process beside
 * Petrel: check the signature, parse the push, send the dispatch to Nomad and
 * answer, then write one key to Consul. Its CPU per hook is the floor Petrel's
 * own CPU is compared with. Prints its port; `GET /cpu` answers its CPU in ms.
 *
 *   RELAY_NOMAD RELAY_CONSUL RELAY_JOB RELAY_SECRET   (spawned by bench/hook-dispatch.ts)
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { Agent, request } from "undici";

const { RELAY_NOMAD: nomad, RELAY_CONSUL: consul, RELAY_JOB: job, RELAY_SECRET: secret } = process.env;
// Fewer sockets than Petrel's 32: Nomad refuses a client address more than 100 connections, and the bench's and Petrel's share it.
const dispatcher = new Agent({ connections: 16 });

async function relay(headers: IncomingHttpHeaders, body: Buffer, res: ServerResponse): Promise<void> {
  const signature = Buffer.from(String(headers["x-gitea-signature"]), "hex");
  const expected = createHmac("sha256", secret!).update(body).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return void res.writeHead(401).end();
  const push = JSON.parse(body.toString()) as { after: string; ref: string; repository: { clone_url: string } };
  const meta = { REPO_URL: push.repository.clone_url, COMMIT: push.after, BRANCH: push.ref.replace("refs/heads/", ""), FLAVOR: "default" };
  const answer = await request(`${nomad}/v1/job/${job}/dispatch?idempotency_token=${randomUUID()}`, { method: "POST", body: JSON.stringify({ Meta: meta }), dispatcher });
  const { DispatchedJobID } = (await answer.body.json()) as { DispatchedJobID: string };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ builds: [{ job: DispatchedJobID }] }));
  const latest = [{ KV: { Verb: "set", Key: `bench-relay/latest/${meta.BRANCH}`, Value: Buffer.from(DispatchedJobID).toString("base64") } }];
  await (await request(`${consul}/v1/txn`, { method: "PUT", body: JSON.stringify(latest), dispatcher })).body.dump();
}

const server = createServer((req, res) => {
  if (req.method === "GET") {
    const { user, system } = process.cpuUsage();
    return void res.end(String((user + system) / 1000));
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    relay(req.headers, Buffer.concat(chunks), res).catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
});
// Exiting, rather than dying of the signal, writes the CPU profile `--cpu-prof` asks for.
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => console.log((server.address() as { port: number }).port));
