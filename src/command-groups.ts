import type { Command } from "commander";

/** The commands one module registers, and how to load that module. */
export type CommandGroup = { commands: readonly string[]; load: () => Promise<(program: Command) => void> };

/**
 * Petrel's subcommands by the module that defines them. A command line
 * loads only its command's module, since each brings its own libraries: a
 * build's `petrel fetch` and `petrel exec` start without the server's, the
 * gateway's or the CA's (a unit test keeps these names equal to the
 * registered commands).
 */
export const commandGroups: readonly CommandGroup[] = [
  { commands: ["serve"], load: async () => (await import("./server/cli.js")).registerServeCommand },
  { commands: ["ca"], load: async () => (await import("./pki/cli.js")).registerCaCommands },
  { commands: ["pdu", "dut"], load: async () => (await import("./gateway/cli.js")).registerGatewayCommands },
  { commands: ["fetch", "exec"], load: async () => (await import("./executor/cli.js")).registerExecCommands },
  { commands: ["upload"], load: async () => (await import("./upload/cli.js")).registerUploadCommands },
  { commands: ["gc"], load: async () => (await import("./gc/cli.js")).registerGcCommands },
  { commands: ["logs", "status"], load: async () => (await import("./builds/cli.js")).registerBuildCommands },
];

/** The options that answer without any command. */
const versionOptions = ["--version", "-V"];

/** The group that defines `command`; none for the version; every group for help, another option or an unknown command. */
export function groupsFor(command: string | undefined, groups: readonly CommandGroup[]): readonly CommandGroup[] {
  if (command !== undefined && versionOptions.includes(command)) return [];
  const named = groups.filter((group) => command !== undefined && group.commands.includes(command));
  return named.length > 0 ? named : groups;
}
