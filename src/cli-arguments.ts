import { InvalidArgumentError, type CommanderError } from "commander";

/** Commander parsers of option values shared by subcommands: each names what it expected. */

export function positive(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("expected a positive whole number");
  return number;
}

export function niceness(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 19) throw new InvalidArgumentError("expected a niceness from 0 to 19");
  return number;
}

export function listenAddress(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new InvalidArgumentError("expected host:port, e.g. 127.0.0.1:9465");
  return { host: match[1]!, port };
}

/**
 * Commander exits 1 on a bad flag; for commands whose 1 is a verdict (the
 * PDU failed, Nix failed, paths went to the dead letters), bad usage is 2.
 */
export const badUsageExits2 = (error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2);
