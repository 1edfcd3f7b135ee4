import { createHmac, randomUUID } from "node:crypto";
import { readConfig } from "../src/config.js";
import { createConsul } from "../src/consul/client.js";
import { writeRepoConfig } from "../src/consul/repo-config.js";
import { createNomad, type Nomad } from "../src/nomad/client.js";
import { registerBuilder } from "../test/cluster/builder.js";
import { startCluster, type Cluster } from "../test/cluster/cluster.js";
import type { PetrelServe } from "../test/cluster/petrel-serve.js";
import { spawnBenchPetrel } from "./bench-petrel.js";

export type HookBench = {
  cluster: Cluster;
  nomad: Nomad;
  petrel: PetrelServe;
  cloneUrl: string;
  /** The parameterized job a push to the repository dispatches. */
  builder: string;
  /** The repository's hook secret. */
  secret: string;
  /** A new commit id each call, in order. */
  commit: () => string;
  /** One child dispatched straight to Nomad with `token`, for a new commit to `branch`: its id, and the commit. */
  dispatch: (token: string, branch: string) => Promise<{ job: string; commit: string }>;
  /** The floor: one child dispatched straight to Nomad, as Petrel would for a push to main. */
  direct: () => Promise<void>;
  /** A Gitea push signed with the repository's secret, through Petrel (or `to`); what it answered, which must be 200. */
  hook: (body: string, delivery?: string, to?: string) => Promise<{ builds: { job: string }[] }>;
};

/**
 * What the hook benchmarks stand on: a cluster whose node is ineligible (so
 * children stay pending and leave the CPU to the dispatch path), a builder,
 * one repository's config and `petrel serve`, stopped when `work` is done.
 */
export async function withHookBench(work: (bench: HookBench) => Promise<void>): Promise<void> {
  const secret = "bench-secret-5d41402abc4b";
  const cloneUrl = "https://git.example.org/bench/widget.git";
  const cluster = await startCluster();
  try {
    const config = readConfig({ NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr });
    const nomad = createNomad(config.nomad);
    const node = (await nomad.nodes())[0]!;
    await fetch(`${cluster.nomadAddr}/v1/node/${node.ID}/eligibility`, { method: "POST", body: JSON.stringify({ NodeID: node.ID, Eligibility: "ineligible" }) });
    const builder = await registerBuilder(nomad);
    await writeRepoConfig(createConsul(config.consul), config.kvPrefix, cloneUrl, { hook: { secret }, trusted: { senders: ["alice"] }, inject: "K=V\n", builder });
    const petrel = await spawnBenchPetrel(cluster);
    try {
      let sequence = 0;
      const commit = () => (++sequence).toString(16).padStart(40, "0");
      const dispatch = async (token: string, branch: string) => {
        const after = commit();
        const response = await fetch(`${cluster.nomadAddr}/v1/job/${builder}/dispatch?idempotency_token=${token}`, {
          method: "POST",
          body: JSON.stringify({ Meta: { REPO_URL: cloneUrl, COMMIT: after, BRANCH: branch, FLAVOR: "default" } }),
        });
        if (!response.ok) throw new Error(`direct dispatch answered ${response.status}`);
        return { job: ((await response.json()) as { DispatchedJobID: string }).DispatchedJobID, commit: after };
      };
      const direct = async () => void (await dispatch(randomUUID(), "main"));
      const hook = async (body: string, delivery: string = randomUUID(), to = petrel.url) => {
        const response = await fetch(`${to}/hook`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-gitea-event": "push", "x-gitea-delivery": delivery, "x-gitea-signature": createHmac("sha256", secret).update(body).digest("hex") },
          body,
        });
        if (response.status !== 200) throw new Error(`hook answered ${response.status}: ${await response.text()}`);
        return (await response.json()) as { builds: { job: string }[] };
      };
      await work({ cluster, nomad, petrel, cloneUrl, builder, secret, commit, dispatch, direct, hook });
    } finally {
      await petrel.stop();
    }
  } finally {
    await cluster.stop();
  }
}

export type Costs = { nomadRead: number; nomadWrite: number; consulRead: number; consulWrite: number; cpuMs: number };

/** Petrel's upstream calls and CPU time so far, from its metrics. */
export async function costs(petrelUrl: string): Promise<Costs> {
  const text = await (await fetch(`${petrelUrl}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  const calls = (upstream: string, kind: string) => value(new RegExp(`^petrel_upstream_calls_total\\{upstream="${upstream}",kind="${kind}"\\} (\\S+)$`, "m"));
  return {
    nomadRead: calls("nomad", "read"),
    nomadWrite: calls("nomad", "write"),
    consulRead: calls("consul", "read"),
    consulWrite: calls("consul", "write"),
    cpuMs: value(/^petrel_process_cpu_seconds_total (\S+)$/m) * 1000,
  };
}

/** Each cost per hook between two readings; the readings' own /metrics requests are a few of hundreds. */
export function perHook(before: Costs, after: Costs, hooks: number): Costs {
  const per = (key: keyof Costs) => (after[key] - before[key]) / hooks;
  return { nomadRead: per("nomadRead"), nomadWrite: per("nomadWrite"), consulRead: per("consulRead"), consulWrite: per("consulWrite"), cpuMs: per("cpuMs") };
}
