import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * The spool's format on disk, owned here: `<spool>/<entry>` files, one per
 * built derivation (the .drv's name, `untrusted-` first when the untrusted
 * daemon built it), written in place by the hook: a line `drv <path>`, a line
 * `out <path>` per output, and `end` last, so an entry without it is still
 * being written. Failed attempts are counted in `.attempts/`, given-up
 * entries kept in `.dead/`; a GC root per output under the upload roots,
 * named by the output's store name.
 */
export const spoolDefaults = { spool: "/var/spool/petrel/upload", uploadRoots: "/nix/var/nix/gcroots/petrel-upload" };
export const spoolFolders = { attempts: ".attempts", dead: ".dead" };
/** The name prefix of the entries an untrusted daemon's hook makes. */
export const untrustedPrefix = "untrusted-";
/** The last line of a whole entry. */
export const entryEnd = "end";
/** An entry still without its last line after this long was left by a hook that died writing it. */
const abandonedAfterMs = 10 * 60_000;
/** An output's upload root is named by its store name: the hook's empty file (or an older hook's link), which Nix's GC roots by that name. */
export const rootName = (output: string) => basename(output);
export const rootOf = (uploadRoots: string, output: string) => join(uploadRoots, rootName(output));

/**
 * One built derivation waiting for upload: the spool file's name, the .drv,
 * its outputs, which daemon built it, when it was queued, and what is wrong
 * with it, if something is (no outputs, a hook that never finished it).
 */
export type SpoolEntry = { name: string; drv: string; outputs: string[]; trusted: boolean; queuedAt: number; problem?: string };

/**
 * The spool the post-build-hook fills. Its state lives in files beside the
 * entries, so a killed uploader resumes where it was. `readOnly`: only looks
 * (`petrel gc --dry-run`), making no folder.
 */
export function openSpool(dir: string, gcroots: string, { readOnly = false } = {}) {
  const attemptsDir = join(dir, spoolFolders.attempts);
  const deadDir = join(dir, spoolFolders.dead);
  if (!readOnly) {
    mkdirSync(attemptsDir, { recursive: true, mode: 0o700 });
    mkdirSync(deadDir, { recursive: true, mode: 0o700 });
  }

  const removeRoots = (entry: SpoolEntry) => {
    for (const output of entry.outputs) rmSync(rootOf(gcroots, output), { force: true });
  };

  return {
    /** Queued entries, oldest first; one removed meanwhile is skipped. */
    list: () => readEntries(dir),

    /** How many entries there are, whole or still being written, from their names alone: cheap enough to poll. */
    size: () => entryNames(dir).length,

    attempts(entry: SpoolEntry): number {
      try {
        return Number(readFileSync(join(attemptsDir, entry.name), "utf8")) || 0;
      } catch {
        return 0;
      }
    },

    /** Counts a failed attempt and answers the new count. */
    recordFailure(entry: SpoolEntry): number {
      const count = this.attempts(entry) + 1;
      writeFileSync(join(attemptsDir, entry.name), String(count));
      return count;
    },

    /** Uploaded: the roots go first, the entry last, so a crash between only repeats an upload. */
    complete(entry: SpoolEntry): void {
      removeRoots(entry);
      rmSync(join(attemptsDir, entry.name), { force: true });
      rmSync(join(dir, entry.name), { force: true });
    },

    /** Given up: kept, roots and all, in `.dead` for an operator to look at or move back. */
    deadLetter(entry: SpoolEntry): void {
      renameSync(join(dir, entry.name), join(deadDir, entry.name));
      rmSync(join(attemptsDir, entry.name), { force: true });
    },

    dead(): string[] {
      return existsSync(deadDir) ? readdirSync(deadDir) : [];
    },

    /** The dead letters with their outputs, whose roots stay until an operator decides. */
    deadEntries: () => readEntries(deadDir),
  };
}

export type Spool = ReturnType<typeof openSpool>;

/** The entries of a spool folder, oldest first; one still being written waits for its last line. */
function readEntries(folder: string): SpoolEntry[] {
  const entries: SpoolEntry[] = [];
  for (const name of entryNames(folder)) {
    try {
      const path = join(folder, name);
      const queuedAt = statSync(path).mtimeMs;
      const entry = parseEntry(readFileSync(path, "utf8"), Date.now() - queuedAt > abandonedAfterMs);
      if (entry) entries.push({ name, trusted: !name.startsWith(untrustedPrefix), queuedAt, ...entry });
    } catch {
      // Taken by another pass between the listing and the read.
    }
  }
  return entries.sort((a, b) => a.queuedAt - b.queuedAt);
}

/** The names of a spool folder's entries, its dot-named folders (`.attempts`, `.dead`) aside. */
function entryNames(folder: string): string[] {
  return (existsSync(folder) ? readdirSync(folder) : []).filter((name) => !name.startsWith("."));
}

/**
 * An entry's text; undefined while its hook is still writing it. `abandoned`:
 * old enough that a missing last line means its hook died. An entry of bare
 * paths (the .drv, then its outputs) is an earlier hook's, renamed in whole.
 */
function parseEntry(text: string, abandoned: boolean): Pick<SpoolEntry, "drv" | "outputs" | "problem"> | undefined {
  const lines = text.split("\n").filter(Boolean);
  const field = (key: string) => lines.filter((line) => line.startsWith(`${key} `)).map((line) => line.slice(key.length + 1));
  const bare = lines[0]?.startsWith("/") === true;
  const drv = (bare ? lines[0] : field("drv")[0]) ?? "";
  if (!bare && lines.at(-1) !== entryEnd) return abandoned ? { drv, outputs: [], problem: "its post-build-hook never finished writing the spool entry" } : undefined;
  const outputs = bare ? lines.slice(1) : field("out").filter(Boolean);
  return { drv, outputs, ...(outputs.length === 0 ? { problem: "the spool entry names no outputs" } : {}) };
}
