import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readConfig } from "../../src/config.js";
import { createConsul } from "../../src/consul/client.js";
import { parseRepoConfig, writeRepoConfig } from "../../src/consul/repo-config.js";
import { createNomad } from "../../src/nomad/client.js";
import { GiteaClient } from "../forge/gitea-api.js";
import { pushCommit } from "../forge/gitea-git.js";
import { obtainAgent } from "./agents.js";
import { registerBuilder } from "./builder.js";
import { startCluster } from "./cluster.js";
import { startGitea } from "./gitea.js";
import { spawnDaemon } from "./processes.js";
import { waitUntil } from "./wait.js";

/**
 * `scripts/dev`: a whole local CI — Nomad, Consul, a Gitea with a demo
 * repository whose webhook points at Petrel, and Petrel serving in the
 * foreground until Ctrl-C, which stops it all and removes its folders.
 */
const example = (name: string) => readFileSync(fileURLToPath(new URL(`../../example/${name}`, import.meta.url)), "utf8");

const [cluster, gitea] = await Promise.all([startCluster(), startGitea()]);
// Finished builds are archived to a folder beside the agents' (gone with them), unless PETREL_ARCHIVE says otherwise.
const env = { PETREL_ARCHIVE: `file://${join(cluster.runDir, "archive")}`, ...process.env, NOMAD_ADDR: cluster.nomadAddr, CONSUL_HTTP_ADDR: cluster.consulAddr };
const listen = process.env.PETREL_LISTEN ?? "127.0.0.1:8080";
const config = readConfig({ ...env, PETREL_LISTEN: listen });
const nomad = createNomad(config.nomad);
const consul = createConsul(config.consul);
const builder = await registerBuilder(nomad);

// The demo repository: the example .albatros, a webhook to Petrel, and the example config
// pointed at this Gitea (statuses posted with the admin's token).
const admin = new GiteaClient(gitea.url, gitea.admin.username, gitea.admin.token);
const repo = await admin.createRepo("demo");
const hookSecret = "dev-hook-secret";
const exampleConfig = parseRepoConfig("example/repo-config.json", example("repo-config.json"));
const configKey = await writeRepoConfig(consul, config.kvPrefix, repo.clone_url, {
  ...exampleConfig,
  hook: { ...exampleConfig.hook, secret: hookSecret },
  gitea: { url: gitea.url, token: gitea.admin.token },
  trusted: { senders: [gitea.admin.username] },
});
await admin.addWebhook(gitea.admin.username, repo.name, { url: `${config.publicUrl}/hook`, secret: hookSecret, events: ["push", "create", "pull_request"] });

// Ctrl-C is handled by the harness (processes.ts): it kills Petrel, Gitea and the agents and removes their folders.
const petrel = spawnDaemon("petrel", process.execPath, ["--import", "tsx", fileURLToPath(new URL("../../src/cli.ts", import.meta.url)), "serve"], {
  cwd: process.cwd(),
  env: { ...env, PETREL_LISTEN: listen },
});
void petrel.exited.then(async (code) => {
  process.stderr.write(`petrel serve exited (${code}); stopping the cluster\n`);
  await Promise.all([cluster.stop(), gitea.stop()]);
  process.exit(code ?? 1);
});
await waitUntil("petrel serve", async () => ((await fetch(`${config.publicUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined));
// The first push builds at once: the demo starts with a green (or red) commit.
await pushCommit({ cloneUrl: repo.clone_url, credentials: admin, branch: "main", files: { ".albatros": { content: example(".albatros"), executable: true } }, message: "Add the build script" });

const nomadBin = (await obtainAgent("nomad")).path;
const login = `${encodeURIComponent(gitea.admin.username)}:${encodeURIComponent(gitea.admin.password)}`;
const cloneWithLogin = repo.clone_url.replace("://", `://${login}@`);
process.stderr.write(`
Petrel is serving on ${config.publicUrl} (Ctrl-C stops Petrel, Gitea, Nomad and Consul and removes their data)

  Gitea   ${repo.html_url}   (log in as ${gitea.admin.username} / ${gitea.admin.password}; this throwaway instance lives until Ctrl-C)
  Nomad   ${cluster.nomadAddr}   (nomad ${cluster.versions.nomad}, builder job '${builder}')
  Consul  ${cluster.consulAddr}   (consul ${cluster.versions.consul}, the demo's repo config at ${configKey})
  Archive ${env.PETREL_ARCHIVE}   (finished builds, once Nomad forgets them)

Try a build:
  git clone ${cloneWithLogin} demo && cd demo
  echo 'echo hello from my first build' > build.sh && chmod +x build.sh
  git add build.sh && git commit -m 'Say hello' && git push

Then watch it:
  ${repo.html_url}/commits/branch/main      (the commit's status: pending, then success; its link opens the build)
  NOMAD_ADDR=${cluster.nomadAddr} ${nomadBin} job status ${builder}
  curl -s ${config.publicUrl}/metrics | grep petrel_

`);
