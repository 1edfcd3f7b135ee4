import type { RepoConfig } from "../consul/repo-config.js";
import type { BuildRequest } from "../forge/build-request.js";
import type { Nomad } from "../nomad/client.js";
import type { JobSightings } from "../nomad/job-sightings.js";
import type { SingleUse } from "../single-use/single-use.js";
import type { TrustDecision } from "../trust.js";
import { toBuildMeta } from "../builds/build-meta.js";
import { createBuilderMetaKeys, onlyKeys } from "./builder-meta-keys.js";
import { createIdempotentDispatch } from "./idempotent-dispatch.js";
import { createSecretsUrl } from "./secrets-url.js";

export type DispatchedBuild = { flavor: string; builder: string; job: string; created: boolean };

export type BuildDispatcherDeps = {
  nomad: Nomad;
  /** Nomad's event stream as far as it confirms new children; one nobody follows makes every dispatch read its child back. */
  sightings: JobSightings;
  singleUse: SingleUse;
  /** Petrel's public base URL: secrets URLs point there. */
  publicUrl: string;
  secretsTtlSeconds: number;
};

export type DispatchOptions = {
  flavors: string[];
  trust: TrustDecision;
  /**
   * `key`: what a redelivery repeats, so it answers the builds the first
   * delivery made; `id`: the forge's name for the delivery, kept in the meta.
   */
  delivery: { key: string; id?: string | undefined } | undefined;
};

/** One builder child per flavor, on the trusted or untrusted builder, with a secrets URL only when trusted. */
export function createBuildDispatcher({ nomad, sightings, singleUse, publicUrl, secretsTtlSeconds }: BuildDispatcherDeps) {
  const dispatchOnce = createIdempotentDispatch(nomad, sightings);
  const builderKeys = createBuilderMetaKeys(nomad);

  const issueSecretsUrl = createSecretsUrl({ singleUse, publicUrl, secretsTtlSeconds });
  const secretsUrl = (request: BuildRequest, config: RepoConfig, trust: TrustDecision) =>
    trust.trusted && config.inject ? issueSecretsUrl(request.cloneUrl) : Promise.resolve(undefined);

  return async function dispatchBuilds(request: BuildRequest, config: RepoConfig, options: DispatchOptions): Promise<DispatchedBuild[]> {
    return Promise.all(
      options.flavors.map(async (flavor) => {
        const builder = !options.trust.trusted && config.untrustedBuilder ? config.untrustedBuilder : builderOf(config, flavor);
        const meta = toBuildMeta(request, flavor, options.trust, options.delivery && (options.delivery.id ?? options.delivery.key));
        const secrets = await secretsUrl(request, config, options.trust);
        if (secrets) meta.SECRETS_URL = secrets;
        const token = options.delivery === undefined ? undefined : `${options.delivery.key}/${flavor}`;
        const dispatched = await dispatchOnce(builder, onlyKeys(meta, await builderKeys(builder)), token);
        return { flavor, builder, ...dispatched };
      }),
    );
  };
}

export type DispatchBuilds = ReturnType<typeof createBuildDispatcher>;

/** The flavor's own builder, else the repository's: a flavor named like an inherited property (`constructor`) has none. */
function builderOf(config: RepoConfig, flavor: string): string {
  return config.builders !== undefined && Object.hasOwn(config.builders, flavor) ? config.builders[flavor]! : config.builder;
}
