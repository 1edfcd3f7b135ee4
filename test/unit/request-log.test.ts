import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import express from "express";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/log.js";
import { requestLog } from "../../src/server/request-log.js";
import type { LogLevel } from "../../src/config.js";

type Line = { msg: string; reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number }; responseTime?: number };

const servers: { close: () => void }[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

/** An app behind `requestLog`: /quiet logs nothing of its own, /hook an info line, /refuse a warning, /slow answers when `release` is called. */
async function start(level: LogLevel) {
  const written: string[] = [];
  const logger = createLogger(level, new Writable({ write: (chunk: Buffer, _encoding, done) => void (written.push(chunk.toString()), done()) }));
  const child = vi.spyOn(logger, "child");
  let release = () => {};
  const app = express();
  app.use(requestLog(logger));
  app.get("/quiet", (_req, res) => void res.send("ok"));
  app.post("/hook", (req, res) => {
    req.log.info({ job: "builder/dispatch-1" }, "hook dispatched");
    res.status(201).send("ok");
  });
  app.post("/refuse", (req, res) => {
    req.log.warn({ problem: "bad signature" }, "hook refused");
    res.status(401).send("no");
  });
  app.get("/slow", (_req, res) => void (release = () => res.send("late")));
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lines = async (count: number) => {
    await vi.waitFor(() => expect(written.length).toBeGreaterThanOrEqual(count));
    return written.map((line) => JSON.parse(line) as Line);
  };
  return { url, lines, written, childLoggers: () => child.mock.calls.length, release: () => release() };
}

describe("requestLog", () => {
  it("names each line of a hook by the forge's delivery id, its method and its URL without the token", async () => {
    const app = await start("info");
    const response = await fetch(`${app.url}/hook?flavor=arm&token=hunter2-s3cret`, { method: "POST", headers: { "x-gitea-delivery": "d-1234" } });
    expect(response.status).toBe(201);
    const [own, completed] = await app.lines(2);
    expect(own).toMatchObject({ msg: "hook dispatched", reqId: "d-1234", req: { method: "POST", url: "/hook?flavor=arm&token=[redacted]" } });
    expect(completed).toMatchObject({ msg: "request completed", reqId: "d-1234", req: { method: "POST" }, res: { statusCode: 201 } });
    expect(completed!.responseTime).toBeGreaterThanOrEqual(0);
    expect(app.written.join("")).not.toContain("hunter2-s3cret");
  });

  it("gives a request without a delivery id one of its own", async () => {
    const app = await start("info");
    await (await fetch(`${app.url}/quiet`)).text();
    await (await fetch(`${app.url}/quiet`)).text();
    const [first, second] = await app.lines(2);
    expect(first!.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second!.reqId).not.toBe(first!.reqId);
  });

  it("makes a request's logger only for a line at an enabled level", async () => {
    const app = await start("warn");
    await (await fetch(`${app.url}/quiet`)).text();
    await (await fetch(`${app.url}/hook`, { method: "POST", headers: { "x-gitea-delivery": "d-1" } })).text();
    expect(app.childLoggers()).toBe(0);
    await (await fetch(`${app.url}/refuse`, { method: "POST", headers: { "x-gitea-delivery": "d-2" } })).text();
    expect(app.childLoggers()).toBe(1);
    const lines = await app.lines(1);
    expect(lines).toEqual([expect.objectContaining({ msg: "hook refused", reqId: "d-2", problem: "bad signature" })]);
  });

  it("says so when the client leaves before the answer", async () => {
    const app = await start("info");
    const controller = new AbortController();
    const request = fetch(`${app.url}/slow`, { signal: controller.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await request;
    const [line] = await app.lines(1);
    expect(line).toMatchObject({ msg: "request aborted", req: { method: "GET", url: "/slow" } });
    app.release();
  });
});
