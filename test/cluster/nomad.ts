import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../../src/config.js";
import { createNomad } from "../../src/nomad/client.js";
import { createNomadHttp } from "../../src/nomad/http.js";
import { obtainAgent } from "./agents.js";
import { freePorts } from "./ports.js";
import { unmountUnder } from "./mounts.js";
import { stopDaemon } from "./processes.js";
import type { RunDir } from "./run-dir.js";
import { startAgent } from "./start-agent.js";
import { clientTls, type TestPki } from "../support/pki.js";

export type RunningNomad = {
  addr: string;
  version: string;
  /** The management token, when ACLs are on. */
  token: string | undefined;
  stop: () => Promise<void>;
};

/**
 * With a PKI, the agent serves HTTPS, wants client certificates and enforces ACLs.
 * Isolated, it runs as root with hcl/nomad-client.hcl, so tasks run under the
 * exec driver as production builds do, its host volumes at the test's paths.
 */
export type NomadOptions = { consulAddr: string; secure?: TestPki; isolated?: IsolatedClient };

/**
 * `nomadChroot` keeps Nomad's default chroot_env instead of hcl/nomad-client.hcl's: a benchmark's
 * baseline (the builder still mounts the node-* volumes, declared then by the harness).
 * `dockerHost` enables the docker driver on that engine (test/cluster/docker.ts).
 */
export type IsolatedClient = { hostVolumes: Record<string, string>; nomadChroot?: boolean; dockerHost?: string };

const buildNodeConfig = fileURLToPath(new URL("../../hcl/nomad-client.hcl", import.meta.url));

/**
 * `nomad agent -dev` (server and client in one) on free loopback ports, with
 * `raw_exec` enabled; ready once its client node is ready with raw_exec
 * healthy (isolated: exec).
 */
export async function startNomad(run: RunDir, options: NomadOptions): Promise<RunningNomad> {
  const agent = await obtainAgent("nomad");
  const dir = run.sub("nomad");
  const dataDir = run.sub("nomad/data");
  const [http, rpc, serf] = await freePorts(3);
  const config = join(dir, "agent.hcl");
  writeFileSync(config, agentConfig({ dataDir, http: http!, rpc: rpc!, serf: serf!, ...options }));
  const addr = `${options.secure ? "https" : "http"}://127.0.0.1:${http}`;
  const anonymous: Config["nomad"] = { addr, tls: clientTls(options.secure) };
  const bootstrap = createNomadHttp(anonymous);
  let nomad = createNomad(anonymous);
  let token: string | undefined;
  if (options.isolated && process.getuid?.() !== 0) throw new Error("an isolated Nomad client (exec driver) must be started as root");
  const drivers = options.isolated ? ["exec", ...(options.isolated.dockerHost ? ["docker"] : [])] : ["raw_exec"];
  const daemon = await startAgent(run, {
    name: "nomad",
    command: agent.path,
    args: ["agent", "-dev", ...(options.isolated && !options.isolated.nomadChroot ? ["-config", buildNodeConfig] : []), "-config", config],
    dir,
    asInvoker: options.isolated !== undefined,
    readiness: `a ready Nomad client with healthy drivers: ${drivers.join(", ")}`,
    ready: async () => {
      // The one-time ACL bootstrap succeeds once the server has a leader.
      if (options.secure && token === undefined) {
        token = (await bootstrap.json<{ SecretID: string }>("POST", "/v1/acl/bootstrap")).SecretID;
        nomad = createNomad({ ...anonymous, token });
      }
      const ready = (await nomad.nodes()).find((node) => node.Status === "ready");
      if (ready === undefined) return false;
      const healthy = (await nomad.node(ready.ID)).Drivers ?? {};
      return drivers.every((driver) => healthy[driver]?.Healthy === true);
    },
    timeoutMs: 60_000,
  });
  const stop = async () => {
    await stopDaemon(daemon);
    // A root client's task folders keep their mounts (secrets, alloc, volumes) after it stops.
    unmountUnder(dataDir);
  };
  return { addr, version: agent.version, token, stop };
}

function agentConfig(o: { dataDir: string; http: number; rpc: number; serf: number } & NomadOptions): string {
  const secure = o.secure
    ? `
acl {
  enabled = true
}
tls {
  http                   = true
  rpc                    = true
  ca_file                = "${o.secure.ca}"
  cert_file              = "${o.secure.server.cert}"
  key_file               = "${o.secure.server.key}"
  verify_https_client    = true
  verify_server_hostname = true
}`
    : "";
  return `
data_dir = "${o.dataDir}"
bind_addr = "127.0.0.1"
disable_update_check = true
log_level = "WARN"
ports {
  http = ${o.http}
  rpc  = ${o.rpc}
  serf = ${o.serf}
}
server {
  # Petrel's one event stream falls this many raft indexes behind under a burst of hooks before Nomad drops it (default 100).
  event_buffer_size = 2000
}
client {
  # The one client doubles as the gateway that hcl/pdu.hcl and hcl/dut.hcl are pinned to.
  node_class = "gateway"
  options {
    # Cloud fingerprinters probe metadata endpoints this machine can't reach.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
consul {
  address = "${o.consulAddr.replace(/^https?:\/\//, "")}"${o.isolated ? quietInConsul : ""}
}
${secure}${o.isolated ? isolatedClient({ ...(o.isolated.nomadChroot ? nodeSystemVolumes : {}), ...o.isolated.hostVolumes }) : ""}${o.isolated?.dockerHost ? dockerPlugin(o.isolated.dockerHost) : ""}
`;
}

/** A second Nomad on the run's Consul: the main cluster owns the catalog. */
const quietInConsul = `
  auto_advertise   = false
  server_auto_join = false
  client_auto_join = false`;

/** The node's programs, libraries and CA certificates, as hcl/nomad-client.hcl names them (in their order): the builder mounts them under exec. */
export const nodeSystemVolumes = { "node-bin": "/bin", "node-certs": "/etc/ssl/certs", "node-lib": "/lib", "node-lib64": "/lib64", "node-usr": "/usr" };

/** The host volumes of hcl/nomad-client.hcl, at the test's paths (a later -config wins, name by name). */
function isolatedClient(hostVolumes: Record<string, string>): string {
  const volumes = Object.entries(hostVolumes).map(([name, path]) => `  host_volume "${name}" {\n    path = "${path}"\n  }`);
  return `\nclient {\n${volumes.join("\n")}\n}\n`;
}

/** The docker driver on the run's own engine; the test's images stay until the engine goes. */
function dockerPlugin(endpoint: string): string {
  return `
plugin "docker" {
  config {
    endpoint = "${endpoint}"
    gc {
      image = false
    }
  }
}
`;
}
