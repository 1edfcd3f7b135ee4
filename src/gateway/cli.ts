import type { Command } from "commander";
import { readConfig } from "../config.js";
import { createConsul } from "../consul/client.js";
import { createPduDriver, readPduConfig } from "./pdu-config.js";
import { switchOutlet, type OutletAction } from "./pdu/switch-outlet.js";

const actions: OutletAction[] = ["on", "off", "cycle", "status"];

/** `petrel pdu`: switch one outlet of a PDU configured in Consul KV; what `hcl/pdu.hcl` runs on the gateway. */
export function registerGatewayCommands(program: Command): void {
  program
    .command("pdu")
    .description("switch a PDU outlet on a gateway (config in Consul KV at <prefix>/pdus/<name>)")
    .requiredOption("--pdu <name>", "the PDU's name")
    .requiredOption("--outlet <n>", "outlet number")
    .requiredOption("--action <action>", actions.join(", "))
    .action(async (options: { pdu: string; outlet: string; action: string }) => {
      const outlet = Number(options.outlet);
      if (!Number.isInteger(outlet) || outlet < 1) return usage(`--outlet: expected a positive whole number (got '${options.outlet}')`);
      if (!actions.includes(options.action as OutletAction)) return usage(`--action: expected one of ${actions.join(", ")} (got '${options.action}')`);
      try {
        const config = readConfig(process.env);
        const pdu = await readPduConfig(createConsul(config.consul), config.kvPrefix, options.pdu);
        const driver = createPduDriver(options.pdu, pdu);
        try {
          const result = await switchOutlet(driver, outlet, options.action as OutletAction, { pdu: options.pdu, minOffMs: pdu.minOffSeconds * 1000, retries: pdu.retries });
          process.stdout.write(`${options.pdu} outlet ${outlet}: ${result.changed ? `${result.before} → ${result.after}` : `${result.after} (unchanged)`}\n`);
        } finally {
          driver.close();
        }
      } catch (error) {
        // Config, Consul and PDU errors all name what is wrong; none needs a stack trace.
        process.stderr.write(`petrel pdu: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}

function usage(message: string): void {
  process.stderr.write(`petrel pdu: ${message}\n`);
  process.exit(2);
}
