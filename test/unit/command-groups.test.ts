import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { commandGroups, groupsFor } from "../../src/command-groups.js";

describe("the command groups petrel loads by command line", () => {
  it("name exactly the commands each group's module registers", async () => {
    for (const group of commandGroups) {
      const program = new Command("petrel");
      (await group.load())(program);
      expect(program.commands.map((command) => command.name()).sort()).toEqual([...group.commands].sort());
    }
  });

  it("load one group for its command, and all of them for help, an option or an unknown command", () => {
    expect(groupsFor("exec", commandGroups).map((group) => group.commands)).toEqual([["fetch", "exec"]]);
    expect(groupsFor("status", commandGroups).map((group) => group.commands)).toEqual([["logs", "status"]]);
    for (const argument of [undefined, "--help", "help", "nonsense"]) expect(groupsFor(argument, commandGroups)).toBe(commandGroups);
  });

  it("load none for the version", () => {
    for (const argument of ["--version", "-V"]) expect(groupsFor(argument, commandGroups)).toEqual([]);
  });
});
