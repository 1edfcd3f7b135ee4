import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Command } from "commander";
import { installHook } from "./install-hook.js";

export const defaultSpool = "/var/spool/petrel/upload";
export const defaultUploadRoots = "/nix/var/nix/gcroots/petrel-upload";

/** `petrel upload …`: the node's side of the binary cache. */
export function registerUploadCommands(program: Command): void {
  const upload = program.command("upload").description("the Nix post-build spool and its upload to the binary cache");
  upload
    .command("install-hook")
    .description("write the post-build-hook that enqueues every derivation the nix-daemon builds (name it in the daemon's nix.conf)")
    .requiredOption("--out <file>", "where to write the hook, e.g. /etc/petrel/post-build-hook")
    .option("--spool <dir>", "the spool folder", defaultSpool)
    .option("--gcroots <dir>", "where the hook roots queued outputs (under /nix/var/nix/gcroots)", defaultUploadRoots)
    .option("--nix-store <path>", "nix-store's absolute path (default: found on PATH)")
    .action((options: { out: string; spool: string; gcroots: string; nixStore?: string }) => {
      const nixStore = options.nixStore ?? onPath("nix-store");
      if (!nixStore) fail("petrel upload install-hook: nix-store is not on PATH; pass --nix-store");
      try {
        installHook(options.out, { spool: options.spool, gcroots: options.gcroots, nixStore });
      } catch (error) {
        fail(`petrel upload install-hook: ${(error as Error).message}`);
      }
    });
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(78);
}
