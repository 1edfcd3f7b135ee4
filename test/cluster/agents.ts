import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type AgentName = "nomad" | "consul" | "gitea" | "seaweedfs";
export type Agent = { name: AgentName; path: string; version: string; source: "PATH" | "cache" | "built" };

const buildScript = join(dirname(fileURLToPath(import.meta.url)), "build-agent.sh");
/** Each agent's program (SeaweedFS's is `weed`) and how it prints its version. */
const programs: Record<AgentName, { binary: string; versionArgs: string[] }> = {
  nomad: { binary: "nomad", versionArgs: ["version"] },
  consul: { binary: "consul", versionArgs: ["version"] },
  gitea: { binary: "gitea", versionArgs: ["--version"] },
  seaweedfs: { binary: "weed", versionArgs: ["version"] },
};
const obtained = new Map<AgentName, Promise<Agent>>();

/**
 * The real agent binary: from PATH when the machine has one, else Petrel's
 * cache, else built from its Go module into that cache (minutes, with
 * progress on stderr). Fails loudly when none of these work.
 */
export function obtainAgent(name: AgentName): Promise<Agent> {
  let agent = obtained.get(name);
  if (!agent) {
    agent = locate(name);
    obtained.set(name, agent);
  }
  return agent;
}

async function locate(name: AgentName): Promise<Agent> {
  const onPath = findOnPath(programs[name].binary);
  if (onPath) return { name, path: onPath, version: versionOf(name, onPath), source: "PATH" };
  const cached = await runCacheScript(buildScript, [name], { buildIfMissing: false });
  if (cached) return { name, path: cached, version: versionOf(name, cached), source: "cache" };
  process.stderr.write(`[cluster] ${name} is neither on PATH nor cached: building it from its Go module\n`);
  const built = await runCacheScript(buildScript, [name], { buildIfMissing: true });
  if (!built) throw new Error(`could not obtain ${name}: see the build output above`);
  return { name, path: built, version: versionOf(name, built), source: "built" };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/**
 * Runs one of the harness's cache scripts (build-agent.sh, build-base-image.sh),
 * streaming its progress; it prints the cached file's path last. Without
 * buildIfMissing it only looks.
 */
export function runCacheScript(script: string, args: string[], { buildIfMissing }: { buildIfMissing: boolean }): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, {
      env: { ...process.env, ...(buildIfMissing ? {} : { PETREL_AGENT_LOOKUP_ONLY: "1" }) },
      stdio: ["ignore", "pipe", buildIfMissing ? "inherit" : "ignore"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    // "close", not "exit": the path is in stdout, which may still be unread when the process exits.
    child.once("close", (code) => resolve(code === 0 ? out.trim().split("\n").pop() : undefined));
  });
}

function versionOf(name: AgentName, path: string): string {
  // Captured, not shown: `weed version` adds an advertisement on stderr.
  const text = execFileSync(path, programs[name].versionArgs, { encoding: "utf8", stdio: "pipe" });
  // SeaweedFS's versions have no patch number ("30GB 4.53 <commit>").
  return /v?(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? text.split("\n")[0] ?? "unknown";
}
