import type { Command } from "commander";
import { CaDirError, initCa, issueFromCa } from "./ca-dir.js";
import { fingerprint } from "./certificates.js";
import { readFileSync } from "node:fs";

const dnsName = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ipAddress = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)$/;
const clientName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `petrel ca init` and `petrel ca issue`: the embedded certificate authority. */
export function registerCaCommands(program: Command): void {
  const ca = program.command("ca").description("manage the embedded certificate authority (RSA 2048, as iPXE needs)");
  ca.command("init")
    .description("create a root CA (and an intermediate that signs everything issued)")
    .option("--dir <dir>", "folder of the CA", "petrel-ca")
    .option("--name <name>", "the CA's common name", "Petrel CA")
    .option("--intermediate", "also create an intermediate CA")
    .action((options: { dir: string; name: string; intermediate?: boolean }) =>
      run(() => initCa(options.dir, { name: options.name, intermediate: options.intermediate === true })),
    );
  ca.command("issue")
    .description("issue a server certificate (DNS names and IPs) or a client certificate (a name)")
    .option("--dir <dir>", "folder of the CA", "petrel-ca")
    .option("--server <names...>", "DNS names and IP addresses of a server")
    .option("--client <name>", "name of a client, e.g. a gateway")
    .action((options: { dir: string; server?: string[]; client?: string }) =>
      run(() => {
        if ((options.server === undefined) === (options.client === undefined)) throw new CaDirError("give either --server <names...> or --client <name>");
        if (options.server) {
          const bad = options.server.find((name) => !dnsName.test(name) && !ipAddress.test(name));
          if (bad !== undefined) throw new CaDirError(`--server: '${bad}' is neither a DNS name nor an IP address`);
          return issueFromCa(options.dir, { kind: "server", names: options.server }, `server-${options.server[0]!.replace(/[^A-Za-z0-9.-]/g, "_")}`);
        }
        if (!clientName.test(options.client!)) throw new CaDirError(`--client: '${options.client}' must be letters, digits, _ . - (at most 64)`);
        return issueFromCa(options.dir, { kind: "client", name: options.client! }, `client-${options.client}`);
      }),
    );
}

function run(action: () => string[]): void {
  try {
    for (const file of action()) {
      const note = file.endsWith("-key.pem") ? "  (private key, mode 0600)" : file.endsWith("-chain.pem") ? "" : `  sha256 ${fingerprint(readFileSync(file, "utf8"))}`;
      process.stdout.write(`${file}${note}\n`);
    }
  } catch (error) {
    const message = error instanceof CaDirError ? error.message : `${(error as Error).message}`;
    process.stderr.write(`petrel ca: ${message}\n`);
    process.exit(1);
  }
}
