import type { Consul } from "../consul/client.js";
import { readRepoConfig } from "../consul/repo-config.js";
import type { Nomad } from "../nomad/client.js";
import type { SingleUse } from "../single-use/single-use.js";
import { createBuilderMetaKeys, onlyKeys } from "./builder-meta-keys.js";
import { createSecretsUrl } from "./secrets-url.js";

export type RerunDeps = { nomad: Nomad; consul: Consul; kvPrefix: string; singleUse: SingleUse; publicUrl: string; secretsTtlSeconds: number };

/**
 * A new child of the same builder with the same meta. The old secrets URL is
 * spent (or soon expired), so a trusted build gets a fresh one; the delivery
 * id stays behind, since this build answers no delivery.
 */
export function createRerun({ nomad, consul, kvPrefix, singleUse, publicUrl, secretsTtlSeconds }: RerunDeps) {
  const builderKeys = createBuilderMetaKeys(nomad);
  const secretsUrl = createSecretsUrl({ singleUse, publicUrl, secretsTtlSeconds });
  return async function rerun(builder: string, meta: Record<string, string>): Promise<string> {
    const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => key !== "SECRETS_URL" && key !== "DELIVERY"));
    const fresh: Record<string, string> = { ...kept };
    const config = kept.TRUSTED === "true" && kept.REPO_URL ? await readRepoConfig(consul, kvPrefix, kept.REPO_URL) : undefined;
    if (config?.inject) fresh.SECRETS_URL = await secretsUrl(kept.REPO_URL!);
    const answer = await nomad.jobs.dispatch(builder, { meta: onlyKeys(fresh, await builderKeys(builder)) });
    return answer.DispatchedJobID;
  };
}
