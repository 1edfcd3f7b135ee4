#!/usr/bin/env node
import { Command } from "commander";
import { commandGroups, groupsFor } from "./command-groups.js";

const program = new Command("petrel")
  .description("Nomad-native CI dispatcher: forge webhooks in, parameterized Nomad jobs out.")
  .showHelpAfterError();

for (const group of groupsFor(process.argv[2], commandGroups)) (await group.load())(program);

await program.parseAsync();
