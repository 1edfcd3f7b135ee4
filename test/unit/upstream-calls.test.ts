import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics.js";
import { countCall, upstreamCalls } from "../../src/upstream-calls.js";

describe("upstream calls", () => {
  it("counts writes apart from reads, per upstream, and shows them in the metrics", async () => {
    const before = structuredClone(upstreamCalls());
    for (const method of ["GET", "POST", "get"]) countCall("nomad", method);
    for (const method of ["PUT", "DELETE", "GET", "status"]) countCall("consul", method);
    const after = upstreamCalls();
    expect({
      nomad: { read: after.nomad.read - before.nomad.read, write: after.nomad.write - before.nomad.write },
      consul: { read: after.consul.read - before.consul.read, write: after.consul.write - before.consul.write },
    }).toEqual({ nomad: { read: 2, write: 1 }, consul: { read: 2, write: 2 } });
    const text = await createMetrics().registry.metrics();
    expect(text).toContain(`petrel_upstream_calls_total{upstream="consul",kind="write"} ${after.consul.write}`);
  });
});
