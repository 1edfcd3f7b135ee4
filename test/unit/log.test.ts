import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactUrl } from "../../src/log.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger("info", stream) };
}

describe("redactUrl", () => {
  it("hides Albatros' hook token and single-use secrets tokens, and nothing else", () => {
    expect(redactUrl("/hook?flavor=arm&token=t0k3n")).toBe("/hook?flavor=arm&token=[redacted]");
    expect(redactUrl("/hook?token=t0k3n&flavor=arm")).toBe("/hook?token=[redacted]&flavor=arm");
    expect(redactUrl("/secrets/build/eyJhbGciOi.x.y")).toBe("/secrets/build/[redacted]");
    expect(redactUrl("/secrets/eyJhbGciOi.x.y")).toBe("/secrets/[redacted]");
    expect(redactUrl("/build?job=builder/dispatch-1")).toBe("/build?job=builder/dispatch-1");
  });
});

describe("createLogger", () => {
  it("writes JSON lines at the configured level", () => {
    const { lines, logger } = capture();
    logger.debug("hidden");
    logger.info({ job: "builder/dispatch-1-abcdef12" }, "dispatched");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ msg: "dispatched", job: "builder/dispatch-1-abcdef12", level: 30 });
  });

  it("redacts tokens, secrets and injected variables wherever they are logged", () => {
    const { lines, logger } = capture();
    logger.info({
      token: "t0",
      config: { hook: { token: "t1" }, gitea: { url: "https://git", token: "t2" }, inject: "K=t3" },
      forge: { secret: "t4" },
      req: { headers: { authorization: "token t5", "x-nomad-token": "t6", "x-gitea-signature": "t7" }, query: { token: "t8" } },
    });
    const line = lines.join("");
    for (const secret of ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]) expect(line).not.toContain(`"${secret}"`);
    expect(line).not.toMatch(/token t5|K=t3/);
    expect(line).toContain("https://git");
  });
});
