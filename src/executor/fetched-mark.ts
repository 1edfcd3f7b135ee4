import { readFile, rename, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ExecFailure } from "./exec-failure.js";

/** How often the executor looks for the checkout task's word while it waits. */
const pollMs = 20;

/**
 * The checkout task's word to the executor (`PETREL_FETCHED`, a file in the
 * allocation's shared folder): both tasks start together, so the executor's
 * start overlaps the fetch, and the executor checks out only once the
 * checkout task says the commit is in the mirror. Only the allocation's own
 * tasks can write there, and nothing of the repository's runs before the
 * word comes. Written aside and renamed, so it is read whole or not at all.
 * A failed fetch says why in its word, and the executor says it in the build's
 * log: the checkout task keeps no log of its own (hcl/builder.hcl), which
 * spares every build Nomad's log collector for it.
 */
export async function markFetched(path: string, commit: string): Promise<void> {
  await say(path, `fetched ${commit}\n`);
}

/** The checkout task's word that it could not bring `commit`, with its one line of why. */
export async function markFailed(path: string, commit: string, why: string): Promise<void> {
  await say(path, `failed ${commit}\n${why}\n`);
}

async function say(path: string, word: string): Promise<void> {
  await writeFile(`${path}.tmp`, word, { mode: 0o644 });
  await rename(`${path}.tmp`, path);
}

/** Waits for the checkout task's word on `commit`; its failure, or a word on anything else, is a checkout failure. */
export async function waitForFetch(path: string, commit: string): Promise<void> {
  for (;;) {
    const word = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (word === undefined) {
      await sleep(pollMs);
      continue;
    }
    if (word === `fetched ${commit}\n`) return;
    if (word.startsWith(`failed ${commit}\n`)) throw new ExecFailure("checkout", word.slice(`failed ${commit}\n`.length).trimEnd());
    throw new ExecFailure("checkout", `petrel exec: the checkout task did not bring commit ${commit}: it says '${word.trim()}'`);
  }
}
