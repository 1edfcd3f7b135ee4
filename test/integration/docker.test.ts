import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { finishedAllocation } from "../support/allocations.js";
import { describeIsolatedBuilds } from "../support/isolated-builds.js";
import { pushCommit } from "../forge/gitea-git.js";
import { waitUntil } from "../cluster/wait.js";

/**
 * Petrel as Nomad users deploy it with the docker driver: the trust
 * boundary's builds in the Dockerfile's `builder` image, and the image's
 * `petrel serve` as hcl/petrel.hcl's service, dispatching a push to them.
 */
const suite = describeIsolatedBuilds("docker");
const petrelHcl = fileURLToPath(new URL("../../hcl/petrel.hcl", import.meta.url));

type ServiceEntry = { Service: { Address: string; Port: number }; Checks: { Status: string }[] };

describe("Petrel's image under the docker driver", () => {
  it("prints its help", async () => {
    const help = await suite.docker().engine.docker("run", "--rm", "--network", "none", suite.docker().images.serve, "--help");
    expect(help).toMatch(/^Usage: petrel \[options\] \[command\]\n/);
    expect(help).toMatch(/^ {2}serve\b/m);
  });

  it("serves from hcl/petrel.hcl as a service Consul finds healthy, and builds a push it is sent in the builder image", async () => {
    const nomad = suite.nomad();
    const job = await nomad.jobs.parse(readFileSync(petrelHcl, "utf8"), {
      driver: "docker",
      image: suite.docker().images.serve,
      nomad_addr: suite.agent().addr,
      consul_addr: suite.consul().addr.replace("http://", ""),
      kv_prefix: suite.prefix,
    });
    await nomad.jobs.register(job);
    try {
      const [entry] = await waitUntil("a passing petrel service in Consul", async () => {
        const entries = (await (await fetch(`${suite.consul().addr}/v1/health/service/petrel?passing=true`)).json()) as ServiceEntry[];
        return entries.length > 0 ? entries : undefined;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      const url = `http://${entry!.Service.Address}:${entry!.Service.Port}`;
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: "ok", nomad: { ok: true }, consul: { ok: true } });

      const alice = suite.alice();
      const gitea = suite.gitea();
      const secret = "docker-served-secret-5d41402abc4b";
      const repo = await alice.createRepo("served-by-image");
      await writeRepoConfig(suite.consul().client, suite.prefix, repo.clone_url, {
        hook: { secret },
        trusted: { senders: ["alice"], branches: ["main"] },
        builder: suite.builders.trusted,
        gitea: { url: gitea.url, token: gitea.admin.token },
      });
      await alice.addWebhook(alice.username, repo.name, { url: `${url}/hook`, secret, events: ["push"] });
      const script = '#!/bin/sh\necho "built $COMMIT as $(id -u) in $(test -f /.dockerenv && echo docker)"\n';
      const commit = await pushCommit({ cloneUrl: repo.clone_url, credentials: alice, branch: "main", files: { ".albatros": { content: script, executable: true } }, message: "CI" });

      const build = await suite.finishedBuild(suite.builders.trusted, commit);
      expect({ status: build.alloc.ClientStatus, stdout: build.stdout }).toEqual({ status: "complete", stdout: `built ${commit} as 65534 in docker\n` });
      const [status] = await waitUntil("the final commit status", async () => {
        const statuses = await alice.readStatuses(alice.username, repo.name, commit);
        return statuses.some((s) => s.status === "success") ? statuses.filter((s) => s.status === "success") : undefined;
      }, { timeoutMs: 60_000 });
      expect(status!.target_url).toBe(`${url}/build?job=${encodeURIComponent(build.child.id)}`);
      const log = await fetch(`${status!.target_url}&log=stdout`);
      expect(await log.text()).toBe(build.stdout);
    } finally {
      await nomad.jobs.stop("petrel");
      expect((await finishedAllocation(nomad, "petrel")).ClientStatus).toBe("complete");
    }
  });
});
