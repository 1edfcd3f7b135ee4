import { readdirSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import { seededRandom, type SeededRandom } from "../support/seeded-random.js";
import { describe, expect, it } from "vitest";
import { toBuildMeta } from "../../src/builds/build-meta.js";
import { repoConfigSchema } from "../../src/consul/repo-config.js";
import { isApproval, isIgnored } from "../../src/forge/build-request.js";
import { recogniseHook } from "../../src/forge/forges.js";
import { deliveryKey } from "../../src/hook/delivery-key.js";
import { selectFlavors } from "../../src/hook/select-flavors.js";
import { decideTrust } from "../../src/trust.js";

/** Real payloads of every event both forges send, mutated: what a sender controls must end in a result or a 4xx, never anything else. */
const fixtures = fileURLToPath(new URL("../fixtures/webhooks/", import.meta.url));
const seeds = ["gitea", "gitlab"].flatMap((forge) =>
  readdirSync(`${fixtures}${forge}`).map((name) => JSON.parse(readFileSync(`${fixtures}${forge}/${name}`, "utf8")) as { headers: IncomingHttpHeaders; payload: unknown }),
);
const config = repoConfigSchema.parse({
  hook: { secret: "s" },
  trusted: { senders: ["alice", "bob", "test"], branches: ["main"] },
  builders: { arm: "builder-arm" },
  flavors: { push: ["default", "arm"], pull_request: ["default"] },
  branches: ["main", "topic", "release/*"],
});


const prototypeKeys = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
const strange: unknown[] = [
  ...prototypeKeys, null, 0, -1, 1.5, 1e308, true, "", [], {}, [null], "\u0000\uffff\n", "refs/heads/../../etc",
  "x".repeat(100_000), `https://git.example.org/${"a".repeat(5000)}.git`, "not a url", "http://", "://x", "javascript:alert(1)",
  "0".repeat(40), "f".repeat(64), `${"1".repeat(40)}/../x`,
];

/** Changes one thing somewhere: a value for a strange one, a key deleted, or a prototype key added as the sender's own. */
function mutate(value: unknown, rng: SeededRandom, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > 5) return rng.pick(strange);
  const copy: Record<string, unknown> = Array.isArray(value) ? { ...value } : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = rng.next();
  if (keys.length === 0 || roll < 0.05) return rng.pick(strange);
  if (roll < 0.15) Object.defineProperty(copy, rng.pick(prototypeKeys), { value: rng.pick(strange), enumerable: true, writable: true, configurable: true });
  else {
    const key = rng.pick(keys);
    if (roll < 0.25) delete copy[key];
    else copy[key] = mutate(copy[key], rng, depth + 1);
  }
  return Array.isArray(value) ? Object.values(copy) : copy;
}

/** Everything the hook path does with a payload between the signature check and Nomad. */
function throughTheHookPath(headers: IncomingHttpHeaders, body: Buffer, flavor: string | undefined): string {
  const source = recogniseHook(headers, false)!;
  const payload: unknown = JSON.parse(body.toString("utf8"));
  source.forge.repositoryUrl(payload);
  const outcome = source.forge.parse(source.event, payload);
  if (isIgnored(outcome) || isApproval(outcome)) return "ignored";
  const flavors = selectFlavors(outcome, config, flavor);
  if (!Array.isArray(flavors)) return "ignored";
  const trust = decideTrust(outcome, config.trusted);
  const retryId = source.forge.retryId({ headers, body });
  for (const name of flavors) toBuildMeta(outcome, name, trust, retryId && deliveryKey(retryId, outcome));
  return "built";
}

describe("the hook path under 10,000 mutated real payloads", () => {
  it("answers each with a result or a 4xx naming the problem", () => {
    const rng = seededRandom(20261130);
    const seen = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const seed = rng.pick(seeds);
      const body = Buffer.from(JSON.stringify(mutate(seed.payload, rng)));
      const headers = rng.next() < 0.1 ? { ...seed.headers, [Object.keys(seed.headers).find((key) => key.endsWith("-event"))!]: rng.pick(prototypeKeys) } : seed.headers;
      let result: string;
      try {
        result = throughTheHookPath(headers, body, rng.next() < 0.1 ? rng.pick(prototypeKeys) : undefined);
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (typeof status !== "number" || status < 400 || status > 499) throw new Error(`case ${i}: ${(error as Error).message}`, { cause: error });
        expect((error as Error).message.length).toBeLessThan(2_000);
        result = String(status);
      }
      seen.set(result, (seen.get(result) ?? 0) + 1);
    }
    process.stderr.write(`[fuzz] 10000 payloads: ${JSON.stringify(Object.fromEntries([...seen].sort()))}\n`);
    expect([...seen.keys()].sort()).toEqual(["400", "built", "ignored"]);
  });
});
