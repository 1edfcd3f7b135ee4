import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { registerBuilder } from "../cluster/builder.js";
import { finishedAllocation } from "../support/allocations.js";
import { colouredScript, dispatchScript } from "../support/build-repo.js";
import { clusterClients } from "../support/clients.js";
import { secretOnce } from "../support/secret-once.js";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const { nomad } = clusterClients();
const stdoutOf = "\u001b[32mgreen <ok>\u001b[0m first\n\u001b[1;31mred & bold\u001b[0m second\n";

/** `petrel …` as an operator runs it: only NOMAD_ADDR, no Petrel server anywhere. */
function petrel(args: string[], env: Record<string, string> = { NOMAD_ADDR: inject("cluster").nomadAddr }) {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { env: { PATH: process.env.PATH, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

let builder: string;
let failed: string;
let repoUrl: string;

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "build-cli" });
  failed = await dispatchScript(nomad, builder, colouredScript(3), { PR: "7", SECRETS_URL: await secretOnce("capability-0123456789") });
  repoUrl = (await nomad.jobs.get(failed)).Meta!.REPO_URL!;
  await finishedAllocation(nomad, failed);
});

describe("petrel status", () => {
  it("lists recent builds of every builder, filtered by repository", async () => {
    const { status, stdout } = await petrel(["status", "--repo", repoUrl]);
    expect(status).toBe(0);
    const [header, line, ...rest] = stdout.trimEnd().split("\n");
    expect(header).toMatch(/^JOB +REPO +BRANCH\/PR +COMMIT +FLAVOR +STATE +AGE$/);
    expect(rest).toEqual([]);
    const commit = (await nomad.jobs.get(failed)).Meta!.COMMIT!;
    expect(line!.split(/ +/)).toEqual([failed, repoUrl, "#7", commit.slice(0, 10), "default", "failure", expect.stringMatching(/^\d+[sm]$/)]);
  });

  it("says so when no build matches", async () => {
    expect(await petrel(["status", "--repo", repoUrl, "--branch", "elsewhere"])).toEqual({ status: 0, stdout: "no builds\n", stderr: "" });
  });

  it("shows one build in detail, without the secrets URL", async () => {
    const { status, stdout } = await petrel(["status", failed]);
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^job: +${failed}\n`));
    expect(stdout).toMatch(/^state: +failure \(exit code 3\)$/m);
    expect(stdout).toMatch(/^exit code: +3$/m);
    expect(stdout).toMatch(/^meta PR: +7$/m);
    expect(stdout).not.toContain("SECRETS_URL");
    expect(stdout).not.toContain("capability-0123456789");
  });
});

describe("petrel logs", () => {
  it("prints a finished build's stdout, or its stderr", async () => {
    expect(await petrel(["logs", failed])).toEqual({ status: 0, stdout: stdoutOf, stderr: "" });
    expect((await petrel(["logs", failed, "--stderr"])).stdout).toMatch(/\nto stderr\n$/);
  });

  it("with -f follows a running build and ends when it ends", async () => {
    const job = await dispatchScript(nomad, builder, colouredScript(0, 2));
    expect(await petrel(["logs", "-f", job])).toEqual({ status: 0, stdout: stdoutOf, stderr: "" });
    expect((await finishedAllocation(nomad, job)).ClientStatus).toBe("complete");
  });
});

describe("petrel status and logs refusals", () => {
  it("exit 1 naming an unknown job or a job that is no build", async () => {
    expect(await petrel(["logs", "build-cli/dispatch-1-00000000"])).toEqual({
      status: 1,
      stdout: "",
      stderr: "petrel logs: no job 'build-cli/dispatch-1-00000000' in Nomad\n",
    });
    expect(await petrel(["status", builder])).toMatchObject({ status: 1, stderr: "petrel status: job 'build-cli' is not a build: it was not dispatched from a parameterized builder job\n" });
  });

  it("exit 69 naming NOMAD_ADDR when Nomad is unreachable", async () => {
    const { status, stderr } = await petrel(["status"], { NOMAD_ADDR: "http://127.0.0.1:1" });
    expect(status).toBe(69);
    expect(stderr).toMatch(/^petrel status: Nomad is unreachable: ECONNREFUSED .* \(NOMAD_ADDR\)\n$/);
  });

  it("exit 2 for a bad --limit", async () => {
    expect(await petrel(["status", "--limit", "0"])).toMatchObject({ status: 2, stderr: "petrel status: --limit: expected a positive whole number (got '0')\n" });
  });
});
