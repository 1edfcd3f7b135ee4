import { inject } from "vitest";
import { createLocalRepo } from "./local-repo.js";
import type { Nomad } from "../../src/nomad/client.js";
import "../cluster/provided.js";

/** A local repository whose `.albatros` is `script` (sh), dispatched to `builder`: answers the child's id. */
export async function dispatchScript(nomad: Nomad, builder: string, script: string, extraMeta: Record<string, string> = {}): Promise<string> {
  const repo = createLocalRepo(inject("cluster").runDir, { ".albatros": { executable: true, content: `#!/bin/sh\n${script}\n` } });
  const { DispatchedJobID } = await nomad.jobs.dispatch(builder, {
    meta: { REPO_URL: repo.url, COMMIT: repo.commit, BRANCH: repo.branch, FLAVOR: "default", ...extraMeta },
  });
  return DispatchedJobID;
}

/** The same build script output for every test: coloured lines on stdout, a plain one on stderr. */
export const colouredScript = (exitCode: number, pause = 0) => `
printf '\\033[32mgreen <ok>\\033[0m first\\n'
${pause > 0 ? `sleep ${pause}` : ""}
printf '\\033[1;31mred & bold\\033[0m second\\n'
echo "to stderr" >&2
exit ${exitCode}`;
