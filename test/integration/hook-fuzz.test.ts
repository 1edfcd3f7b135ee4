import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { registerBuilder } from "../cluster/builder.js";
import { clusterClients } from "../support/clients.js";
import { giteaPullRequest, giteaPush, gitlabMergeRequest, gitlabPush } from "../support/payloads.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { seededRandom, type SeededRandom } from "../support/seeded-random.js";
import { sendHook, type HookRequest } from "../support/send-hook.js";

const { nomad, consul } = clusterClients();
const secret = "fuzz-secret-8277e0910d75";
const cloneUrl = `https://git.example.org/fuzz/${randomUUID()}.git`;
let petrel: TestPetrel;

beforeAll(async () => {
  const builder = await registerBuilder(nomad, { id: "fuzz-builder", unplaceable: true });
  await writeRepoConfig(consul, "petrel-test", cloneUrl, { hook: { secret, token: secret }, trusted: { senders: ["alice"] }, builder });
  petrel = await startPetrel();
});
afterAll(() => petrel?.stop());


const strange: unknown[] = [
  null, 0, -1, 1e308, true, "", "x".repeat(70_000), [], {}, [null], { nested: { deeper: [1, "two"] } }, "\u0000\uffff", "refs/heads/../../etc",
  "__proto__", "constructor", "toString", "not a url", "http://", `https://git.example.org/${"a".repeat(300_000)}.git`,
];

/** Replaces one value somewhere in the payload with something of the wrong shape. */
function mutate(value: unknown, rng: SeededRandom, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > 4) return rng.pick(strange);
  const copy: Record<string, unknown> = Array.isArray(value) ? ({ ...value }) : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rng.next() < 0.1) return rng.pick(strange);
  const key = rng.pick(keys);
  if (rng.next() < 0.15) delete copy[key];
  else copy[key] = mutate(copy[key], rng, depth + 1);
  return Array.isArray(value) ? Object.values(copy) : copy;
}

function fuzzCase(rng: SeededRandom): HookRequest {
  const [forge, event, payload] = rng.pick([
    ["gitea", "push", giteaPush({ cloneUrl })],
    ["gitea", "pull_request", giteaPullRequest({ cloneUrl })],
    ["gitlab", "Push Hook", gitlabPush({ cloneUrl })],
    ["gitlab", "Merge Request Hook", gitlabMergeRequest({ cloneUrl })],
  ] as const);
  const text = JSON.stringify(mutate(payload, rng));
  const body = rng.pick<() => Buffer | string>([
    () => text,
    () => text.slice(0, Math.floor(rng.next() * text.length)),
    () => Buffer.from(Array.from({ length: 1 + Math.floor(rng.next() * 4096) }, () => Math.floor(rng.next() * 256))),
    () => `${text}${"\u0000".repeat(8)}`,
    () => JSON.stringify({ pad: "y".repeat(2_200_000) }),
  ])();
  return rng.pick<HookRequest>([
    { forge, event, secret, body },
    { forge, event, secret: "wrong", body },
    { forge, event: rng.pick(["push", "Push Hook", "\u00e9v\u00e9nement", "x".repeat(300)]), secret, body },
    { body, query: { token: secret, flavor: rng.pick(["default", "", "a b", "x".repeat(100), "__proto__", "constructor", "hasOwnProperty"]) } },
    { forge, event, secret, body, headers: { "content-type": rng.pick(["text/plain", "application/json; charset=latin1", "application/jsonx", ""]) } },
  ]);
}

describe("POST /hook under mangled input", () => {
  it("answers every mutated hook with a 2xx or a 4xx and a reason, and stays healthy", async () => {
    const rng = seededRandom(20261125);
    const seen = new Map<number, number>();
    for (let round = 0; round < 30; round++) {
      const cases = Array.from({ length: 10 }, () => fuzzCase(rng));
      const answers = await Promise.all(cases.map((hook) => sendHook(petrel.url, hook)));
      answers.forEach((answer, i) => {
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        const context = `case ${round * 10 + i}: ${answer.status} ${answer.text.slice(0, 200)}`;
        expect(answer.status < 300 || (answer.status >= 400 && answer.status < 500), context).toBe(true);
        if (answer.status >= 400) expect(typeof answer.json().error, context).toBe("string");
        // Accepted without a build: ignored, or waiting for approval; either says why.
        if (answer.status === 202) expect(typeof (answer.json().ignored ?? answer.json().reason), context).toBe("string");
      });
    }
    process.stderr.write(`[fuzz] 300 hooks, answers by status: ${JSON.stringify(Object.fromEntries([...seen].sort()))}\n`);
    // The run must have reached past the signature check, not only bounced off it.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 413, 415]));
    expect((await fetch(`${petrel.url}/healthz`)).status).toBe(200);
  });
});
