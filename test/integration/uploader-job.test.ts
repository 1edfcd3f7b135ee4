import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { clusterClients } from "../support/clients.js";

const { nomad } = clusterClients();
const hcl = readFileSync(fileURLToPath(new URL("../../hcl/uploader.hcl", import.meta.url)), "utf8");

describe("hcl/uploader.hcl on the real Nomad", () => {
  it("is a system job whose hook installers and uploader agree on the spool and GC roots", async () => {
    const job = await nomad.jobs.parse(hcl, { cache: "file:///srv/nix-cache", petrel_command: ["node", "/opt/petrel/dist/cli.js"] });
    expect(job.Type).toBe("system");
    const tasks = job.TaskGroups?.[0]?.Tasks ?? [];
    const shared = ["/opt/petrel/dist/cli.js", "upload", "--spool", "/var/spool/petrel/upload", "--gcroots", "/nix/var/nix/gcroots/petrel-upload"];
    expect(tasks.map((task) => ({ name: task.Name, command: task.Config?.command, args: task.Config?.args }))).toEqual([
      { name: "install-hook", command: "node", args: [...shared, "--install-hook", "/etc/petrel/post-build-hook"] },
      { name: "install-untrusted-hook", command: "node", args: [...shared, "--install-hook", "/etc/petrel/post-build-hook-untrusted", "--untrusted"] },
      { name: "upload", command: "node", args: [...shared, "--to", "file:///srv/nix-cache", "--parallel", "4", "--metrics", "${NOMAD_ADDR_metrics}"] },
    ]);
  });

  it("sends untrusted builds' paths to their own cache only when one is named", async () => {
    const uploadArgs = async (variables: Record<string, string>) =>
      (await nomad.jobs.parse(hcl, { cache: "file:///srv/nix-cache", ...variables })).TaskGroups?.[0]?.Tasks.find((task) => task.Name === "upload")?.Config?.args as string[];
    expect((await uploadArgs({ untrusted_cache: "file:///srv/nix-cache-untrusted" })).slice(-2)).toEqual(["--untrusted-to", "file:///srv/nix-cache-untrusted"]);
    expect(await uploadArgs({})).not.toContain("--untrusted-to");
  });

  it("refuses to parse without the cache to upload to", async () => {
    await expect(nomad.jobs.parse(hcl, {})).rejects.toThrow(/cache/);
  });
});
