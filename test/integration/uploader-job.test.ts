import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { clusterClients } from "../support/clients.js";

const { nomad } = clusterClients();
const hcl = readFileSync(fileURLToPath(new URL("../../hcl/uploader.hcl", import.meta.url)), "utf8");

describe("hcl/uploader.hcl on the real Nomad", () => {
  it("is a system job whose hook installer and uploader agree on the spool and GC roots", async () => {
    const job = await nomad.jobs.parse(hcl, { cache: "file:///srv/nix-cache", petrel_command: ["node", "/opt/petrel/dist/cli.js"] });
    expect(job.Type).toBe("system");
    const tasks = job.TaskGroups?.[0]?.Tasks ?? [];
    const shared = ["/opt/petrel/dist/cli.js", "upload", "--spool", "/var/spool/petrel/upload", "--gcroots", "/nix/var/nix/gcroots/petrel-upload"];
    expect(tasks.map((task) => ({ name: task.Name, command: task.Config?.command, args: task.Config?.args }))).toEqual([
      { name: "install-hook", command: "node", args: [...shared, "--install-hook", "/etc/petrel/post-build-hook"] },
      { name: "upload", command: "node", args: [...shared, "--to", "file:///srv/nix-cache", "--parallel", "4"] },
    ]);
  });

  it("drains the untrusted daemon's own spool to its own cache when untrusted_cache is set", async () => {
    const job = await nomad.jobs.parse(hcl, { cache: "file:///srv/nix-cache", untrusted_cache: "file:///srv/nix-cache-untrusted" });
    const tasks = job.TaskGroups?.[0]?.Tasks ?? [];
    const untrusted = ["upload", "--spool", "/var/spool/petrel/upload-untrusted", "--gcroots", "/nix/var/nix/gcroots/petrel-upload-untrusted"];
    expect(tasks.map((task) => ({ name: task.Name, args: task.Config?.args }))).toEqual([
      { name: "install-hook", args: ["upload", "--spool", "/var/spool/petrel/upload", "--gcroots", "/nix/var/nix/gcroots/petrel-upload", "--install-hook", "/etc/petrel/post-build-hook"] },
      { name: "upload", args: ["upload", "--spool", "/var/spool/petrel/upload", "--gcroots", "/nix/var/nix/gcroots/petrel-upload", "--to", "file:///srv/nix-cache", "--parallel", "4"] },
      { name: "install-untrusted-hook", args: [...untrusted, "--install-hook", "/etc/petrel/untrusted/post-build-hook"] },
      { name: "upload-untrusted", args: [...untrusted, "--to", "file:///srv/nix-cache-untrusted", "--parallel", "4"] },
    ]);
    expect(tasks.map((task) => (task as { Lifecycle?: { Hook: string } | null }).Lifecycle?.Hook ?? "main")).toEqual(["prestart", "main", "prestart", "main"]);
  });

  it("refuses an untrusted cache, spool, GC roots or hook that the trusted side uses too", async () => {
    const untrusted = { cache: "file:///srv/nix-cache", untrusted_cache: "file:///srv/nix-cache-untrusted" };
    await expect(nomad.jobs.parse(hcl, { ...untrusted, untrusted_cache: "file:///srv/nix-cache" })).rejects.toThrow("file:///srv/nix-cache is named for trusted and untrusted builds alike");
    await expect(nomad.jobs.parse(hcl, { ...untrusted, untrusted_spool: "/var/spool/petrel/upload" })).rejects.toThrow("/var/spool/petrel/upload is named for trusted and untrusted builds alike");
    await expect(nomad.jobs.parse(hcl, { ...untrusted, untrusted_gcroots: "/nix/var/nix/gcroots/petrel-upload" })).rejects.toThrow("named for trusted and untrusted builds alike");
    await expect(nomad.jobs.parse(hcl, { ...untrusted, untrusted_hook: "/etc/petrel/post-build-hook" })).rejects.toThrow("named for trusted and untrusted builds alike");
  });

  it("refuses to parse without the cache to upload to", async () => {
    await expect(nomad.jobs.parse(hcl, {})).rejects.toThrow(/cache/);
  });
});
