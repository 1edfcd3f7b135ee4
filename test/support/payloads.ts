/**
 * Webhook payloads of our own, written from the forges' documented shapes
 * (only the fields a forge always sends), so tests pass on any fresh clone.
 */

export type GiteaPushOptions = { cloneUrl: string; ref?: string; after?: string; headCommit?: string | null; sender?: string };

export function giteaPush({ cloneUrl, ref = "refs/heads/main", after = "a".repeat(40), headCommit = after, sender = "alice" }: GiteaPushOptions) {
  const fullName = repoPath(cloneUrl);
  return {
    ref,
    before: "0".repeat(40),
    after,
    compare_url: "",
    commits: headCommit ? [{ id: headCommit, message: "change\n" }] : [],
    head_commit: headCommit ? { id: headCommit, message: "change\n" } : null,
    repository: { id: 1, full_name: fullName, clone_url: cloneUrl, html_url: cloneUrl.replace(/\.git$/, ""), fork: false },
    pusher: { login: sender, username: sender },
    sender: { login: sender, username: sender },
  };
}

export type GiteaPullOptions = { cloneUrl: string; action?: string; number?: number; sha?: string; sender?: string; author?: string; fork?: boolean };

export function giteaPullRequest({ cloneUrl, action = "opened", number = 7, sha = "b".repeat(40), sender = "mallory", author = sender, fork = true }: GiteaPullOptions) {
  const fullName = repoPath(cloneUrl);
  const headName = fork ? `${author}/${fullName.split("/")[1]}` : fullName;
  const repo = (name: string, isFork: boolean) => ({ full_name: name, clone_url: `https://forge.invalid/${name}.git`, fork: isFork });
  return {
    action,
    number,
    pull_request: {
      number,
      user: { login: author, username: author },
      head: { ref: "feature", sha, repo: repo(headName, fork) },
      base: { ref: "main", sha: "c".repeat(40), repo: repo(fullName, false) },
    },
    repository: { id: 1, full_name: fullName, clone_url: cloneUrl, html_url: cloneUrl.replace(/\.git$/, ""), fork: false },
    sender: { login: sender, username: sender },
  };
}

export type GitlabPushOptions = { cloneUrl: string; kind?: "push" | "tag_push"; ref?: string; sha?: string | null; user?: string };

export function gitlabPush({ cloneUrl, kind = "push", ref = kind === "push" ? "refs/heads/main" : "refs/tags/v1", sha = "d".repeat(40), user = "alice" }: GitlabPushOptions) {
  return { object_kind: kind, ref, before: "0".repeat(40), after: sha ?? "0".repeat(40), checkout_sha: sha, user_username: user, project: gitlabProject(cloneUrl) };
}

export type GitlabMergeRequestOptions = { cloneUrl: string; action?: string; oldrev?: string; user?: string; fork?: boolean; sha?: string };

export function gitlabMergeRequest({ cloneUrl, action = "open", oldrev, user = "alice", fork = false, sha = "e".repeat(40) }: GitlabMergeRequestOptions) {
  return {
    object_kind: "merge_request",
    user: { id: 11, username: user },
    project: gitlabProject(cloneUrl),
    object_attributes: {
      iid: 3,
      action,
      ...(oldrev === undefined ? {} : { oldrev }),
      author_id: 11,
      source_project_id: fork ? 43 : 42,
      target_project_id: 42,
      source_branch: "feature",
      target_branch: "main",
      last_commit: { id: sha },
    },
  };
}

export function giteaComment({ cloneUrl, body, sender = "alice", isPull = true, action = "created" }: { cloneUrl: string; body: string; sender?: string; isPull?: boolean; action?: string }) {
  return {
    action,
    is_pull: isPull,
    issue: { number: 7, ...(isPull ? { pull_request: { merged: false } } : {}) },
    comment: { id: 1, body, user: { login: sender, username: sender } },
    repository: { id: 1, full_name: repoPath(cloneUrl), clone_url: cloneUrl, html_url: cloneUrl.replace(/\.git$/, ""), fork: false },
    sender: { login: sender, username: sender },
  };
}

export function gitlabNote({ cloneUrl, note, user = "alice", noteableType = "MergeRequest" }: { cloneUrl: string; note: string; user?: string; noteableType?: string }) {
  return {
    object_kind: "note",
    user: { id: 11, username: user },
    project: gitlabProject(cloneUrl),
    object_attributes: { id: 5, note, noteable_type: noteableType },
    ...(noteableType === "MergeRequest" ? { merge_request: { iid: 3 } } : {}),
  };
}

function gitlabProject(cloneUrl: string) {
  const path = repoPath(cloneUrl);
  return { id: 42, git_http_url: cloneUrl, web_url: cloneUrl.replace(/\.git$/, ""), path_with_namespace: path };
}

function repoPath(cloneUrl: string): string {
  return new URL(cloneUrl).pathname.replace(/^\/|\.git$/g, "");
}
