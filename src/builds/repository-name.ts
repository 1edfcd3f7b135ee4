/**
 * `owner/name`, lower case: how a repository is named in history and lists,
 * from a forge's repository name, a clone URL's path (https or scp-like ssh),
 * or `owner/name` itself.
 */
export function repositoryName(repo: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) ? new URL(repo).pathname : repo.replace(/^[^@/]+@[^:/]+:/, "");
  return path.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "").toLowerCase();
}
