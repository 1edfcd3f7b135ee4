/** What every forge's webhook is turned into; nothing downstream knows which forge it came from. */
export type ForgeName = "gitea" | "gitlab";
export type BuildEvent = "push" | "tag" | "pull_request";

export type BuildRequest = {
  forge: ForgeName;
  event: BuildEvent;
  /** The repository the hook is about: its config is looked up by this URL, and builds clone it. */
  cloneUrl: string;
  commit: string;
  /**
   * What the build script sees as BRANCH: a branch's short name, `refs/tags/<tag>`
   * for a tag, and the forge's fetchable head ref for a pull request
   * (`refs/pull/<n>/head`, `refs/merge-requests/<n>/head`), so a fork's branch
   * named like one of ours is never mistaken for it.
   */
  branch: string;
  /** The login of whoever caused the event. */
  sender: string;
  /** Base URL of the forge's web/API and the repository there (owner/name, or GitLab's namespace path), as its clone URL names it. */
  forgeUrl: string;
  forgeRepo: string;
  pullRequest?: PullRequest;
};

export type PullRequest = {
  number: number;
  /** Whether the head lives in another repository; undefined when the payload can't tell. */
  fromFork: boolean | undefined;
  /** The author's login, when the payload names it. */
  author: string | undefined;
  targetBranch: string;
};

/**
 * A well-formed hook that must not build, with the reason the forge will show;
 * `closes`: the ref of a pull request it closed, whose waiting approval is void.
 */
export type IgnoredEvent = { ignored: string; closes?: string };

/** A comment on a pull request that asks to build what waits there for approval. */
export type ApprovalComment = { approval: { cloneUrl: string; ref: string; by: string } };

export type HookOutcome = BuildRequest | IgnoredEvent | ApprovalComment;

export const isIgnored = (outcome: HookOutcome): outcome is IgnoredEvent => "ignored" in outcome;
export const isApproval = (outcome: HookOutcome): outcome is ApprovalComment => "approval" in outcome;

/** What a comment says, on a line of its own, to approve the pull request's waiting build. */
export const approvalPhrase = "/petrel approve";
export const asksForApproval = (comment: string) => comment.split(/\r?\n/).some((line) => line.trim() === approvalPhrase);

/** A payload that lacks what its event needs, or has it in the wrong shape. */
export class HookPayloadError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "HookPayloadError";
  }
}

const zeroCommit = /^0+$/;
/** Forges send an all-zero commit when a ref is deleted. */
export const isDeletion = (commit: string | null | undefined): boolean => !commit || zeroCommit.test(commit);
