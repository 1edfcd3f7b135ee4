import type { RepoConfig } from "../consul/repo-config.js";
import type { RepoConfigs } from "../consul/repo-configs.js";
import { decideTrust } from "../trust.js";
import { fromBuildMeta } from "../builds/build-meta.js";
import type { DispatchBuilds } from "./dispatch-builds.js";

export type RerunDeps = { repoConfigs: RepoConfigs; dispatchBuilds: DispatchBuilds };

/**
 * The same commit built again, as a hook for it would be now: trust decided
 * again against today's repo config (a sender removed since gets no secrets,
 * and the untrusted builder), a fresh secrets URL only when trusted, and no
 * delivery id, since this build answers none. A build dispatched by hand, for
 * a repository Petrel has no config for, runs again on its own builder,
 * trusted by nobody.
 */
export function createRerun({ repoConfigs, dispatchBuilds }: RerunDeps) {
  return async function rerun(builder: string, meta: Record<string, string>): Promise<string> {
    const request = fromBuildMeta(meta);
    const config: RepoConfig = (request.cloneUrl ? await repoConfigs.get(request.cloneUrl) : undefined) ?? { hook: {}, builder, autoCancel: false };
    const trust = decideTrust(request, config.trusted);
    const [build] = await dispatchBuilds(request, config, { flavors: [meta.FLAVOR ?? "default"], trust, delivery: undefined });
    return build!.job;
  };
}
