import { z } from "zod";
import { approvalPhrase, asksForApproval, isDeletion, type HookOutcome } from "./build-request.js";
import { commitId, forgeBase, parsePayload, payloadName, payloadRef, payloadUrl, sameRepository } from "./parse-payload.js";

const project = z.looseObject({
  id: z.number().int(),
  git_http_url: payloadUrl,
  web_url: payloadUrl,
  path_with_namespace: payloadRef,
});

const pushSchema = z.looseObject({
  ref: payloadRef,
  checkout_sha: commitId.nullish(),
  // GitLab's documented Tag Push example lacks it; real GitLab sends it, and trust is decided by it.
  user_username: z.string({ error: "missing: Petrel decides trust by the pusher's username" }).min(1).max(255),
  project,
});

const mergeRequestSchema = z.looseObject({
  // Older GitLab sends the user without its id.
  user: z.looseObject({ id: z.number().int().optional(), username: payloadName }),
  project,
  object_attributes: z.looseObject({
    iid: z.number().int().positive(),
    action: payloadName.optional(),
    oldrev: payloadRef.optional(),
    author_id: z.number().int().optional(),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    target_branch: payloadRef,
    last_commit: z.looseObject({ id: commitId }),
  }),
});

/**
 * The project statuses go to, by its path (GitLab's API takes it for the id),
 * which must be the one the clone URL names: the payload's numeric id could
 * name any project the configured token reaches.
 */
const projectOf = (p: z.infer<typeof project>) =>
  sameRepository({ field: "project.git_http_url", url: p.git_http_url }, { field: "project.path_with_namespace", path: p.path_with_namespace });

const noteSchema = z.looseObject({
  user: z.looseObject({ username: payloadName }),
  project,
  object_attributes: z.looseObject({ note: z.string(), noteable_type: z.string() }),
  merge_request: z.looseObject({ iid: z.number().int().positive() }).optional(),
});

/** Event names GitLab sends in `X-Gitlab-Event`; `Service Hook` leaves it to the payload's object_kind. */
const byObjectKind: Record<string, string> = { push: "Push Hook", tag_push: "Tag Push Hook", merge_request: "Merge Request Hook", note: "Note Hook" };

/** A GitLab webhook (`X-Gitlab-Event`) as a build request, or the reason it doesn't build. */
export function parseGitlabHook(event: string, payload: unknown): HookOutcome {
  const kind = (payload as { object_kind?: unknown } | null)?.object_kind;
  const resolved = event === "Service Hook" && typeof kind === "string" && Object.hasOwn(byObjectKind, kind) ? byObjectKind[kind]! : event;
  switch (resolved) {
    case "Push Hook":
      return fromPush(parsePayload(pushSchema, payload, "gitlab push"), "push");
    case "Tag Push Hook":
      return fromPush(parsePayload(pushSchema, payload, "gitlab tag push"), "tag");
    case "Merge Request Hook":
      return fromMergeRequest(parsePayload(mergeRequestSchema, payload, "gitlab merge request"));
    case "Note Hook":
      return fromNote(parsePayload(noteSchema, payload, "gitlab note"));
    default:
      return { ignored: `gitlab event '${event}' doesn't build` };
  }
}

function fromPush(push: z.infer<typeof pushSchema>, event: "push" | "tag"): HookOutcome {
  if (isDeletion(push.checkout_sha)) return { ignored: `${push.ref} was deleted` };
  return {
    forge: "gitlab",
    event,
    cloneUrl: push.project.git_http_url,
    commit: push.checkout_sha as string,
    branch: event === "tag" ? push.ref : push.ref.replace(/^refs\/heads\//, ""),
    sender: push.user_username,
    forgeUrl: forgeBase({ field: "project.web_url", url: push.project.web_url }, push.project.path_with_namespace),
    forgeRepo: projectOf(push.project),
  };
}

function fromMergeRequest(hook: z.infer<typeof mergeRequestSchema>): HookOutcome {
  const mr = hook.object_attributes;
  const action = mr.action ?? "(none)";
  const builds = action === "open" || action === "reopen" || (action === "update" && mr.oldrev !== undefined);
  if (!builds) {
    if (action === "close" || action === "merge") return { ignored: `merge request action '${action}' doesn't build`, closes: `refs/merge-requests/${mr.iid}/head` };
    return { ignored: action === "update" ? "merge request update without new commits doesn't build" : `merge request action '${action}' doesn't build` };
  }
  return {
    forge: "gitlab",
    event: "pull_request",
    cloneUrl: hook.project.git_http_url,
    commit: mr.last_commit.id,
    branch: `refs/merge-requests/${mr.iid}/head`,
    sender: hook.user.username,
    forgeUrl: forgeBase({ field: "project.web_url", url: hook.project.web_url }, hook.project.path_with_namespace),
    forgeRepo: projectOf(hook.project),
    pullRequest: {
      number: mr.iid,
      fromFork: mr.source_project_id !== mr.target_project_id,
      // The payload names only the author's id: it is the sender's login when they are the same person.
      author: mr.author_id !== undefined && mr.author_id === hook.user.id ? hook.user.username : undefined,
      targetBranch: mr.target_branch,
    },
  };
}

function fromNote(hook: z.infer<typeof noteSchema>): HookOutcome {
  const mr = hook.merge_request;
  if (hook.object_attributes.noteable_type !== "MergeRequest" || !mr) return { ignored: `comments on ${hook.object_attributes.noteable_type}s don't build` };
  if (!asksForApproval(hook.object_attributes.note)) return { ignored: `a comment without a line '${approvalPhrase}' doesn't build` };
  return { approval: { cloneUrl: hook.project.git_http_url, ref: `refs/merge-requests/${mr.iid}/head`, by: hook.user.username } };
}
