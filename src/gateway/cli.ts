import { InvalidArgumentError, Option, type Command } from "commander";
import { badUsageExits2 } from "../cli-arguments.js";
import { ConfigError, readConfig } from "../config.js";
import { createConsul } from "../consul/client.js";
import { UpstreamError, UpstreamUnavailableError } from "../upstream-error.js";
import { GatewayConfigError, readDutConfig, readPduConfig } from "./config.js";
import { runDut } from "./dut/run-dut.js";
import { consulOffClock } from "./off-clock.js";
import { pduActions, type PduAction } from "./pdu/control.js";
import { createPdu } from "./pdu/create-pdu.js";
import { PduError } from "./pdu/driver.js";
import { runPduAction } from "./pdu/run-action.js";

/**
 * The gateway's subcommands, run by Nomad jobs pinned to the gateway node.
 * `petrel pdu` exits 0 done, 1 the PDU failed, 2 bad usage or config, 69 Consul unreachable.
 */
export function registerGatewayCommands(program: Command): void {
  program
    .command("pdu")
    .exitOverride(badUsageExits2)
    .description("switch or read a PDU outlet; the PDU's config is in Consul KV at <prefix>/pdus/<name>")
    .requiredOption("--pdu <name>", "the PDU's name")
    .option("--outlet <n>", "outlet number, from 1 (status without it reads every outlet)", outletNumber)
    .addOption(new Option("--action <action>", "what to do").choices(pduActions).makeOptionMandatory())
    .action(async (options: { pdu: string; outlet?: number; action: PduAction }) => {
      process.exitCode = await pdu(options);
    });

  program
    .command("dut")
    .exitOverride(badUsageExits2)
    .description("power a device under test on, judge its console, power it off; config in Consul KV at <prefix>/duts/<name>")
    .requiredOption("--dut <name>", "the device's name")
    .action(async ({ dut: name }: { dut: string }) => {
      process.exitCode = await dut(name);
    });
}

/** Exit 0 pass, 1 fail, 2 incomplete: the board could not be judged (config, PDU, console, timeouts). */
async function dut(name: string): Promise<number> {
  const note = (text: string) => process.stderr.write(`petrel dut: ${text}\n`);
  try {
    const config = readConfig(process.env);
    const consul = createConsul(config.consul);
    const dutConfig = await readDutConfig(consul, config.kvPrefix, name);
    const pduConfig = await readPduConfig(consul, config.kvPrefix, dutConfig.pdu);
    const pdu = createPdu(dutConfig.pdu, pduConfig, { offSince: consulOffClock(consul, config.kvPrefix, dutConfig.pdu) });
    const result = await runDut({ config: dutConfig, pdu, note, line: (text) => process.stdout.write(`${text}\n`) });
    return result.exitCode;
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof GatewayConfigError || error instanceof UpstreamError || error instanceof UpstreamUnavailableError)) throw error;
    note(`incomplete: ${error.message}`);
    return 2;
  }
}

async function pdu({ pdu, outlet, action }: { pdu: string; outlet?: number; action: PduAction }): Promise<number> {
  if (outlet === undefined && action !== "status") return fail(2, `--action ${action} needs --outlet`);
  try {
    const config = readConfig(process.env);
    const consul = createConsul(config.consul);
    const pduConfig = await readPduConfig(consul, config.kvPrefix, pdu);
    const control = createPdu(pdu, pduConfig, {
      offSince: consulOffClock(consul, config.kvPrefix, pdu),
      holdOff: (ms) => {
        process.stderr.write(`petrel pdu: holding ${pdu} outlet ${outlet} off for ${Math.ceil(ms / 1000)} s more\n`);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    for (const report of await runPduAction(control, action, outlet)) {
      process.stdout.write(`${JSON.stringify({ pdu, action, ...report })}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) return fail(2, `invalid configuration: ${error.message}`);
    if (error instanceof GatewayConfigError) return fail(2, `invalid gateway config: ${error.message}`);
    if (error instanceof PduError) return fail(1, error.message);
    if (error instanceof UpstreamUnavailableError || error instanceof UpstreamError) return fail(69, error.message);
    throw error;
  }
}

function outletNumber(value: string): number {
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("expected an outlet number from 1");
  return Number(value);
}

function fail(code: number, message: string): number {
  process.stderr.write(`petrel pdu: ${message}\n`);
  return code;
}
