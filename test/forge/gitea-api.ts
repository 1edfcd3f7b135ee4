import { randomBytes } from "node:crypto";
import { waitUntil } from "../cluster/wait.js";

/** The parts of Gitea's API objects the tests read. */
export type GiteaRepo = {
  id: number;
  name: string;
  full_name: string;
  clone_url: string;
  html_url: string;
  fork: boolean;
  empty: boolean;
  owner: { login: string };
  parent?: GiteaRepo;
};
export type GiteaBranch = { name: string; commit: { id: string } };
export type GiteaHook = { id: number; type: string; active: boolean; events: string[]; config: Record<string, string> };
export type GiteaPullRequest = {
  number: number;
  state: string;
  head: { ref: string; sha: string; repo: { full_name: string } };
  base: { ref: string; repo: { full_name: string } };
};
export type CommitState = "pending" | "success" | "error" | "failure" | "warning";
/** One posted status; Gitea answers its state as `status`, unlike the `state` it was posted with. */
export type GiteaStatus = { id: number; context: string; status: CommitState; target_url: string; description: string };
export type GiteaCombinedStatus = { state: CommitState; sha: string; statuses: GiteaStatus[] };

export type HookOptions = { url: string; secret: string; events: string[] };
export type StatusOptions = { state: CommitState; context: string; targetUrl: string; description?: string };

/** A user of a real Gitea, acting through its API with its own access token. */
export class GiteaClient {
  constructor(
    readonly baseUrl: string,
    readonly username: string,
    /** Kept out of every message this client produces. */
    readonly token: string,
  ) {}

  /**
   * A new user (this client must be an admin's) with a token of its own;
   * the token is created with the user's password, as a person would.
   */
  async createUser(username: string): Promise<GiteaClient> {
    const password = randomBytes(16).toString("hex");
    await this.call("POST", "/admin/users", {
      username,
      password,
      email: `${username}@petrel.test`,
      must_change_password: false,
    });
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    const created = await giteaRequest<{ sha1: string }>(this.baseUrl, basic, "POST", `/users/${username}/tokens`, {
      name: "petrel-tests",
      scopes: ["all"],
    });
    return new GiteaClient(this.baseUrl, username, created.sha1);
  }

  /** An empty repository owned by this user; the first push creates `main`. */
  createRepo(name: string): Promise<GiteaRepo> {
    return this.call("POST", "/user/repos", { name, auto_init: false, default_branch: "main", private: false });
  }

  /**
   * Waits until the API shows `branch` of `owner/repo` at `sha`. Gitea records
   * a push (its branch list, the repository's `empty` flag) from a queue, and
   * e.g. a fork taken before that is marked empty for good.
   */
  async waitForBranch(owner: string, repo: string, branch: string, sha: string): Promise<void> {
    await waitUntil(`${owner}/${repo} to show ${branch} at ${sha}`, async () => {
      const current = await this.call<GiteaRepo>("GET", `/repos/${owner}/${repo}`);
      const head = await this.call<GiteaBranch>("GET", `/repos/${owner}/${repo}/branches/${branch}`);
      return !current.empty && head.commit.id === sha ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  addWebhook(owner: string, repo: string, { url, secret, events }: HookOptions): Promise<GiteaHook> {
    return this.call("POST", `/repos/${owner}/${repo}/hooks`, {
      type: "gitea",
      active: true,
      events,
      config: { url, content_type: "json", secret },
    });
  }

  /** Forks into this user's account and answers once the fork holds its parent's git data. */
  async forkRepo(owner: string, repo: string): Promise<GiteaRepo> {
    const fork = await this.call<GiteaRepo>("POST", `/repos/${owner}/${repo}/forks`, {});
    // Gitea answers 202 Accepted: the copy may still be under way when the fork is listed.
    return waitUntil(`the fork ${fork.full_name}`, async () => {
      const current = await this.call<GiteaRepo>("GET", `/repos/${fork.full_name}`);
      return !current.empty || current.parent?.empty ? current : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }

  /** Opens a pull request into `owner/repo`'s `base` from `headOwner:headBranch`. */
  openPullRequest(
    owner: string,
    repo: string,
    { head, base = "main", title }: { head: string; base?: string; title: string },
  ): Promise<GiteaPullRequest> {
    return this.call("POST", `/repos/${owner}/${repo}/pulls`, { head, base, title });
  }

  closePullRequest(owner: string, repo: string, index: number): Promise<GiteaPullRequest> {
    return this.call("PATCH", `/repos/${owner}/${repo}/pulls/${index}`, { state: "closed" });
  }

  /** A comment on an issue or pull request, as this user. */
  comment(owner: string, repo: string, index: number, body: string): Promise<{ id: number }> {
    return this.call("POST", `/repos/${owner}/${repo}/issues/${index}/comments`, { body });
  }

  postStatus(owner: string, repo: string, sha: string, status: StatusOptions): Promise<GiteaStatus> {
    return this.call("POST", `/repos/${owner}/${repo}/statuses/${sha}`, {
      state: status.state,
      context: status.context,
      target_url: status.targetUrl,
      description: status.description ?? "",
    });
  }

  /** Every status posted for the commit, newest first. */
  readStatuses(owner: string, repo: string, sha: string): Promise<GiteaStatus[]> {
    return this.call("GET", `/repos/${owner}/${repo}/commits/${sha}/statuses`);
  }

  /** The combined state: the latest status per context, rolled into one. */
  readCombinedStatus(owner: string, repo: string, sha: string): Promise<GiteaCombinedStatus> {
    return this.call("GET", `/repos/${owner}/${repo}/commits/${sha}/status`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return giteaRequest<T>(this.baseUrl, `token ${this.token}`, method, path, body);
  }
}

/** One call to /api/v1; a failure names method, path, status and Gitea's answer, never the credentials. */
async function giteaRequest<T>(baseUrl: string, authorization: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      Authorization: authorization,
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Gitea ${method} /api/v1${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}
