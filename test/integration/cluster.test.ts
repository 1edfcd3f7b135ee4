import { describe, expect, inject, it } from "vitest";
import { readConfig } from "../../src/config.js";
import { createNomad } from "../../src/nomad/client.js";
import { registerBuilder } from "../cluster/builder.js";
import { startCluster } from "../cluster/cluster.js";
import { processesUsing } from "../cluster/processes.js";
import "../cluster/provided.js";
import { waitUntil } from "../cluster/wait.js";
import { readLog } from "../support/allocations.js";
import { createLocalRepo } from "../support/local-repo.js";

describe("the test cluster harness", () => {
  it("runs beside another cluster on other ports and leaves nothing behind when stopped", async () => {
    const shared = inject("cluster");
    const second = await startCluster();
    try {
      expect(second.nomadAddr).not.toBe(shared.nomadAddr);
      expect(second.consulAddr).not.toBe(shared.consulAddr);
      const leader = await fetch(`${second.nomadAddr}/v1/status/leader`);
      expect(leader.status).toBe(200);
      expect(processesUsing(second.runDir).length).toBeGreaterThanOrEqual(2);
    } finally {
      const killedAfterStop = await second.stop();
      expect(killedAfterStop).toEqual([]);
    }
    expect(processesUsing(second.runDir)).toEqual([]);
    // The shared cluster is untouched.
    expect((await fetch(`${shared.consulAddr}/v1/status/leader`)).status).toBe(200);
  });

  it("kills a build that outlives a killed Nomad agent, and reports it", async () => {
    const cluster = await startCluster();
    let killed: { pid: number; command: string }[] = [];
    try {
      const nomad = createNomad(readConfig({ NOMAD_ADDR: cluster.nomadAddr }).nomad);
      const builder = await registerBuilder(nomad);
      const repo = createLocalRepo(cluster.runDir, { ".albatros": { executable: true, content: "#!/bin/sh\necho started\nexec sleep 600\n" } });
      const { DispatchedJobID } = await nomad.jobs.dispatch(builder, {
        meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: "main", FLAVOR: "default" },
      });
      // Running is not enough: petrel exec checks out before the script starts.
      await waitUntil("the build script to run", async () => {
        const [alloc] = (await nomad.jobs.allocations(DispatchedJobID)).value;
        if (alloc?.ClientStatus !== "running") return undefined;
        return (await readLog(nomad, alloc.ID, "stdout")).includes("started") ? true : undefined;
      });
      // A clean stop takes its tasks down; a killed agent (a crash, Ctrl-C) leaves
      // executors and tasks running in sessions of their own.
      const agent = processesUsing(cluster.runDir).find((p) => p.command.includes("nomad agent -dev"));
      process.kill(agent!.pid, "SIGKILL");
    } finally {
      killed = await cluster.stop();
    }
    const commands = killed.map((p) => p.command);
    expect(commands).toContain("sleep 600");
    expect(commands.some((command) => command.includes("nomad executor"))).toBe(true);
    expect(processesUsing(cluster.runDir)).toEqual([]);
  });
});
