import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A plug's relays and the requests it saw, so a test can check what went over the wire. */
export type SmartPlug = { port: number; relays: boolean[]; requests: string[]; close: () => Promise<void> };

type Handler = (url: URL, relays: boolean[], request: IncomingMessage) => { status: number; body: unknown; headers?: Record<string, string> };

async function servePlug(relayCount: number, handle: Handler): Promise<SmartPlug> {
  const relays = new Array<boolean>(relayCount).fill(false);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://plug");
    requests.push(`${url.pathname}${url.search}`);
    const { status, body, headers } = handle(url, relays, request);
    response.writeHead(status, { "content-type": "application/json", ...headers }).end(typeof body === "string" ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    relays,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Tasmota's documented command API: `/cm?cmnd=Power<n>[ ON|OFF]` answering
 * `{"POWER<n>":"ON"}`, `{"Command":"Unknown"}` for a relay it lacks, and
 * 401 when WebPassword is set and `user`/`password` do not match.
 */
export function serveTasmota(relayCount: number, password?: string): Promise<SmartPlug> {
  return servePlug(relayCount, (url, relays) => {
    if (password !== undefined && (url.searchParams.get("user") !== "admin" || url.searchParams.get("password") !== password)) {
      return { status: 401, body: "401 Unauthorized" };
    }
    const match = /^power(\d*)(?: (on|off))?$/i.exec(url.searchParams.get("cmnd") ?? "");
    const index = Number(match?.[1] || "1") - 1;
    if (url.pathname !== "/cm" || !match || index < 0 || index >= relays.length) return { status: 200, body: { Command: "Unknown" } };
    if (match[2]) relays[index] = match[2].toLowerCase() === "on";
    const key = relays.length === 1 ? "POWER" : `POWER${index + 1}`;
    return { status: 200, body: { [key]: relays[index] ? "ON" : "OFF" } };
  });
}

/** Shelly Gen1's `/relay/<id>[?turn=on|off]` answering `{"ison":…}`, 404 for a relay it lacks. */
export function serveShellyGen1(relayCount: number): Promise<SmartPlug> {
  return servePlug(relayCount, (url, relays) => {
    const id = Number(/^\/relay\/(\d+)$/.exec(url.pathname)?.[1] ?? NaN);
    if (!(id >= 0 && id < relays.length)) return { status: 404, body: "Not Found" };
    const turn = url.searchParams.get("turn");
    if (turn === "on" || turn === "off") relays[id] = turn === "on";
    return { status: 200, body: { ison: relays[id], has_timer: false, timer_duration: 0, overpower: false, source: "http" } };
  });
}

/**
 * Shelly Gen2's RPC over GET: Switch.Set (`{"was_on":…}`) and Switch.GetStatus
 * (`{"id","output",…}`); error -105 for an unknown id. With a password, every
 * call wants HTTP Digest auth (SHA-256, user admin, realm the device id).
 */
export function serveShellyGen2(relayCount: number, password?: string): Promise<SmartPlug> {
  const realm = "shellyplus1pm-a8032ab1c2d3";
  const nonce = randomBytes(8).toString("hex");
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  const authorized = (request: IncomingMessage) => {
    const fields = Object.fromEntries([...(request.headers.authorization ?? "").matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!, m[2] ?? m[3] ?? ""]));
    const ha1 = sha256(`admin:${realm}:${password}`);
    const ha2 = sha256(`${request.method}:${fields.uri}`);
    return fields.username === "admin" && fields.nonce === nonce && fields.uri === request.url
      && fields.response === sha256(`${ha1}:${nonce}:${fields.nc}:${fields.cnonce}:${fields.qop}:${ha2}`);
  };
  return servePlug(relayCount, (url, relays, request) => {
    if (password !== undefined && !authorized(request)) {
      return { status: 401, body: "", headers: { "www-authenticate": `Digest qop="auth", realm="${realm}", nonce="${nonce}", algorithm=SHA-256` } };
    }
    const id = Number(url.searchParams.get("id"));
    if (!(id >= 0 && id < relays.length)) return { status: 500, body: { code: -105, message: `Argument 'id', value ${id} not found!` } };
    if (url.pathname === "/rpc/Switch.GetStatus") return { status: 200, body: { id, source: "http", output: relays[id], apower: 0 } };
    if (url.pathname === "/rpc/Switch.Set") {
      const wasOn = relays[id];
      relays[id] = url.searchParams.get("on") === "true";
      return { status: 200, body: { was_on: wasOn } };
    }
    return { status: 404, body: { code: 404, message: `No handler for ${url.pathname}` } };
  });
}
