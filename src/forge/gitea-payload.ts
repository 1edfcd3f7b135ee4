import { z } from "zod";
import { approvalPhrase, asksForApproval, isDeletion, type HookOutcome } from "./build-request.js";
import { commitId, forgeBase, parsePayload, payloadName, payloadRef, payloadUrl, sameRepository } from "./parse-payload.js";

const user = z.looseObject({ login: payloadName.optional(), username: payloadName.optional() })
  .refine((u) => u.login ?? u.username, "needs a login or username");
const loginOf = (u: z.infer<typeof user>) => (u.login ?? u.username) as string;

const repository = z.looseObject({ clone_url: payloadUrl, full_name: payloadRef, html_url: payloadUrl });

const pushSchema = z.looseObject({
  ref: payloadRef,
  after: commitId,
  head_commit: z.looseObject({ id: commitId }).nullish(),
  repository,
  sender: user,
});

const repoRef = z.looseObject({ id: z.number().optional(), full_name: payloadRef.optional() }).nullish();
const side = z.looseObject({ ref: payloadRef, sha: commitId, repo_id: z.number().optional(), repo: repoRef });
const pullRequestSchema = z.looseObject({
  action: payloadName,
  number: z.number().int().positive(),
  pull_request: z.looseObject({ head: side, base: side, user: user.optional() }),
  repository,
  sender: user,
});

const commentSchema = z.looseObject({
  action: payloadName,
  is_pull: z.boolean().optional(),
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.unknown().optional() }),
  comment: z.looseObject({ body: z.string() }),
  repository,
  sender: user,
});

const buildingActions = new Set(["opened", "reopened", "synchronized"]);

/** A Gitea webhook (`X-Gitea-Event`) as a build request, or the reason it doesn't build. */
export function parseGiteaHook(event: string, payload: unknown): HookOutcome {
  switch (event) {
    case "push":
      return fromPush(parsePayload(pushSchema, payload, "gitea push"));
    case "pull_request":
      return fromPullRequest(parsePayload(pullRequestSchema, payload, "gitea pull_request"));
    case "issue_comment":
      return fromComment(parsePayload(commentSchema, payload, "gitea issue_comment"));
    case "create":
      // Gitea sends `push` for the same new branch or tag first: that one builds.
      return { ignored: "create events don't build: the push event for the same ref does" };
    case "delete":
      return { ignored: "deleting a branch or tag doesn't build" };
    default:
      return { ignored: `gitea event '${event}' doesn't build` };
  }
}

function fromPush(push: z.infer<typeof pushSchema>): HookOutcome {
  if (isDeletion(push.after)) return { ignored: `${push.ref} was deleted` };
  const tag = push.ref.startsWith("refs/tags/");
  return {
    forge: "gitea",
    event: tag ? "tag" : "push",
    cloneUrl: push.repository.clone_url,
    // An annotated tag's `after` is the tag object; the commit is head_commit.
    commit: push.head_commit?.id ?? push.after,
    branch: tag ? push.ref : push.ref.replace(/^refs\/heads\//, ""),
    sender: loginOf(push.sender),
    forgeUrl: forgeBase({ field: "repository.html_url", url: push.repository.html_url }, push.repository.full_name),
    forgeRepo: repoOf(push.repository),
  };
}

function fromPullRequest(hook: z.infer<typeof pullRequestSchema>): HookOutcome {
  if (!buildingActions.has(hook.action)) {
    const ignored = `pull request action '${hook.action}' doesn't build`;
    return hook.action === "closed" ? { ignored, closes: `refs/pull/${hook.number}/head` } : { ignored };
  }
  const { head, base } = hook.pull_request;
  return {
    forge: "gitea",
    event: "pull_request",
    cloneUrl: hook.repository.clone_url,
    commit: head.sha,
    branch: `refs/pull/${hook.number}/head`,
    sender: loginOf(hook.sender),
    forgeUrl: forgeBase({ field: "repository.html_url", url: hook.repository.html_url }, hook.repository.full_name),
    forgeRepo: repoOf(hook.repository),
    pullRequest: {
      number: hook.number,
      fromFork: isFork(head, base),
      author: hook.pull_request.user ? loginOf(hook.pull_request.user) : undefined,
      targetBranch: base.ref,
    },
  };
}

const repoOf = (repo: z.infer<typeof repository>) =>
  sameRepository({ field: "repository.clone_url", url: repo.clone_url }, { field: "repository.full_name", path: repo.full_name });

function fromComment(hook: z.infer<typeof commentSchema>): HookOutcome {
  if (hook.action !== "created") return { ignored: `comment action '${hook.action}' doesn't build` };
  if (!hook.is_pull && !hook.issue.pull_request) return { ignored: "a comment on an issue doesn't build" };
  if (!asksForApproval(hook.comment.body)) return { ignored: `a comment without a line '${approvalPhrase}' doesn't build` };
  return { approval: { cloneUrl: hook.repository.clone_url, ref: `refs/pull/${hook.issue.number}/head`, by: loginOf(hook.sender) } };
}

type Side = z.infer<typeof side>;

/**
 * Whether the head lives in another repository than the base: their ids, else
 * their names. Not `repo.fork`, which says a repository is itself a fork of
 * another (in a forked repository every pull request's sides say so). Some
 * payloads carry neither: then nobody can tell.
 */
function isFork(head: Side, base: Side): boolean | undefined {
  const [headId, baseId] = [head.repo?.id ?? head.repo_id, base.repo?.id ?? base.repo_id];
  if (headId !== undefined && baseId !== undefined) return headId !== baseId;
  if (head.repo?.full_name && base.repo?.full_name) return head.repo.full_name.toLowerCase() !== base.repo.full_name.toLowerCase();
  return undefined;
}
