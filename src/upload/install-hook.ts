import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { hookScript, type HookPaths } from "./hook-script.js";

/**
 * Writes the post-build-hook and the folders it writes to. Root-only: the
 * spool says what the node built, and the hook runs as root in the daemon.
 */
export function installHook(out: string, paths: HookPaths): void {
  mkdirSync(paths.spool, { recursive: true, mode: 0o700 });
  chmodSync(paths.spool, 0o700);
  mkdirSync(paths.gcroots, { recursive: true, mode: 0o755 });
  mkdirSync(dirname(out), { recursive: true });
  const staged = `${out}.${process.pid}`;
  writeFileSync(staged, hookScript(paths), { mode: 0o755 });
  renameSync(staged, out);
}
