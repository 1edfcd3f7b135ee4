const scheme = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * `owner/name`, lower case: how a repository is named in history and lists,
 * from a forge's repository name, a clone URL's path (https or scp-like ssh),
 * or `owner/name` itself. An address that does not parse is named as given,
 * so a stray job's meta can't stop a listing.
 */
export function repositoryName(repo: string): string {
  const path = scheme.test(repo) ? (URL.canParse(repo) ? new URL(repo).pathname : repo) : repo.replace(/^[^@/]+@[^:/]+:/, "");
  return path.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "").toLowerCase();
}

/** Whether a client's `repo` names a repository: owner/name (or group/…/name), or a clone URL that parses to one. */
export function namesRepository(repo: string): boolean {
  if (/\s/.test(repo) || (scheme.test(repo) && !URL.canParse(repo))) return false;
  return /^[^/]+(\/[^/]+)+$/.test(repositoryName(repo));
}
