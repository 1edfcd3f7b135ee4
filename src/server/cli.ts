import { Option, type Command } from "commander";
import { ConfigError, readConfig } from "../config.js";

/** Flags of `petrel serve` and the environment variable each one overrides. */
const serveFlags = [
  ["--listen <host:port>", "PETREL_LISTEN", "address to listen on (default 0.0.0.0:8080)"],
  ["--url <url>", "PETREL_URL", "public base URL of this Petrel, used in links to builds"],
  ["--kv-prefix <prefix>", "PETREL_KV_PREFIX", "Consul KV prefix of repo configs (default petrel; albatros reuses an Albatros config)"],
  ["--log-level <level>", "PETREL_LOG_LEVEL", "fatal, error, warn, info, debug or trace (default info)"],
  ["--nomad-addr <url>", "NOMAD_ADDR", "Nomad HTTP API (default http://127.0.0.1:4646)"],
  ["--consul-addr <addr>", "CONSUL_HTTP_ADDR", "Consul HTTP API (default 127.0.0.1:8500)"],
] as const;

/** `petrel serve`: the HTTP server, its flags over the environment. */
export function registerServeCommand(program: Command): void {
  const serveCommand = program.command("serve").description("run Petrel's HTTP server against Nomad and Consul");
  for (const [flags, variable, description] of serveFlags) {
    serveCommand.addOption(new Option(flags, `${description} [env ${variable}]`));
  }
  serveCommand.action(async (options: Record<string, string | undefined>) => {
    const fromFlags: Record<string, string> = {};
    for (const [flags, variable] of serveFlags) {
      const value = options[new Option(flags).attributeName()];
      if (value !== undefined) fromFlags[variable] = value;
    }
    try {
      const { serve } = await import("./serve.js");
      await serve(readConfig({ ...process.env, ...fromFlags }));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const flag = serveFlags.find(([, variable]) => variable === error.variable && fromFlags[variable] !== undefined);
      const source = flag ? `${flag[0].split(" ")[0]} (${error.variable})` : error.variable;
      process.stderr.write(`petrel: invalid configuration: ${source}${error.message.slice(error.variable.length)}\n`);
      process.exit(2);
    }
  });
}
