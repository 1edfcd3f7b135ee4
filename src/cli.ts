#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { commandGroups, groupsFor } from "./command-groups.js";

// The package's own manifest, beside src/ and dist/ alike. Read as a file: a CommonJS require of it
// costs each command's start (a build's `petrel fetch` too) 2 ms rather than 0.6.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("petrel")
  .description("Nomad-native CI dispatcher: forge webhooks in, parameterized Nomad jobs out.")
  .version(version)
  .showHelpAfterError();

for (const group of groupsFor(process.argv[2], commandGroups)) (await group.load())(program);

await program.parseAsync();
