#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { commandGroups, groupsFor } from "./command-groups.js";

// The package's own manifest, beside src/ and dist/ alike.
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const program = new Command("petrel")
  .description("Nomad-native CI dispatcher: forge webhooks in, parameterized Nomad jobs out.")
  .version(version)
  .showHelpAfterError();

for (const group of groupsFor(process.argv[2], commandGroups)) (await group.load())(program);

await program.parseAsync();
