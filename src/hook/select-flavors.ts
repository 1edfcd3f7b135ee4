import picomatch from "picomatch";
import type { RepoConfig } from "../consul/repo-config.js";
import type { BuildRequest } from "../forge/build-request.js";
import { HookError } from "./hook-error.js";

const flavorName = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The flavors a request builds — the config's list for its event, or just
 * the one Albatros' `?flavor=` names — or why it builds nothing: a push to a
 * branch or tag the config's `branches`/`tags` patterns leave out.
 */
export function selectFlavors(request: BuildRequest, config: RepoConfig, requested: string | undefined): string[] | { ignored: string } {
  if (request.event === "tag" && config.tags) {
    const tag = request.branch.replace(/^refs\/tags\//, "");
    if (!picomatch.isMatch(tag, config.tags)) return { ignored: `tag ${tag} matches no pattern in tags` };
  }
  if (request.event === "push" && config.branches && !picomatch.isMatch(request.branch, config.branches)) {
    return { ignored: `branch ${request.branch} matches no pattern in branches` };
  }
  if (requested !== undefined) {
    if (!flavorName.test(requested)) throw new HookError(400, "flavor: expected letters, digits, _ . or - (at most 64)");
    return [requested];
  }
  return config.flavors?.[request.event] ?? ["default"];
}
