import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config.js";
import { createConsul } from "../../src/consul/client.js";
import { followRepoConfigs, type RepoConfigs } from "../../src/consul/repo-configs.js";
import { createLogger } from "../../src/log.js";
import { createNomad } from "../../src/nomad/client.js";
import { createApp } from "../../src/server/app.js";
import { freePorts } from "../cluster/ports.js";
import { clusterConfig } from "../support/clients.js";

const servers: Server[] = [];
const followers: RepoConfigs[] = [];
afterAll(() => {
  servers.forEach((server) => server.close());
  followers.forEach((follower) => follower.stop());
});

/** Petrel's app on a free port, aimed at whatever Nomad and Consul the config names. */
async function startPetrel(config: ReturnType<typeof readConfig>): Promise<string> {
  const [consul, logger] = [createConsul(config.consul), createLogger("silent")];
  const repoConfigs = followRepoConfigs({ consul, prefix: config.kvPrefix, logger });
  followers.push(repoConfigs);
  const app = createApp({ config, nomad: createNomad(config.nomad), consul, repoConfigs, logger });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("GET /healthz", () => {
  it("answers 200 with both leaders when Nomad and Consul are up", async () => {
    const petrel = await startPetrel(clusterConfig());
    const response = await fetch(`${petrel}/healthz`);
    const body = (await response.json()) as { status: string; nomad: { ok: boolean; leader: string }; consul: { ok: boolean; leader: string } };
    expect(response.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.nomad.leader).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(body.consul.leader).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("answers 503 naming what is unreachable, and keeps serving", async () => {
    const [deadNomad, deadConsul] = await freePorts(2);
    const petrel = await startPetrel(readConfig({ NOMAD_ADDR: `http://127.0.0.1:${deadNomad}`, CONSUL_HTTP_ADDR: `127.0.0.1:${deadConsul}` }));
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${petrel}/healthz`);
      const body = (await response.json()) as { status: string; nomad: { ok: boolean; error: string }; consul: { ok: boolean; error: string } };
      expect(response.status).toBe(503);
      expect(body).toMatchObject({ status: "unavailable", nomad: { ok: false }, consul: { ok: false } });
      expect(body.nomad.error).toMatch(/Nomad is unreachable: ECONNREFUSED/);
      expect(body.consul.error).toMatch(/Consul is unreachable: ECONNREFUSED/);
    }
  });

  it("answers JSON 404 for unknown routes", async () => {
    const petrel = await startPetrel(clusterConfig());
    const response = await fetch(`${petrel}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "no route for GET /nope" });
  });
});
