import type { BuildStatus } from "../builds/build-status.js";
import { repositoryName } from "../builds/repository-name.js";

/**
 * The archive's history index: for each build, a small entry (its summary)
 * under its repository, once among all the repository's builds and once
 * among its branch's or pull request's, named so that a listing in key
 * order is newest first:
 *
 *     index/<owner%2Fname>/all/<9999999999 - dispatch seconds>-<job>
 *     index/<owner%2Fname>/branch/<branch>/<…same…>
 *     index/<owner%2Fname>/pr/<number>/<…same…>
 *
 * One listing and a read per entry shown answer a page of history, however
 * many builds the archive holds.
 */
export type HistoryRef = { branch: string } | { pr: number };

/** The folder of a repository's history, all of it or one branch's or pull request's. */
export function historyFolder(repo: string, ref?: HistoryRef): string {
  const base = `index/${segment(repositoryName(repo))}`;
  if (ref === undefined) return `${base}/all/`;
  return "pr" in ref ? `${base}/pr/${ref.pr}/` : `${base}/branch/${segment(ref.branch)}/`;
}

/**
 * A name as one segment of a key. A folder store joins segments as a path,
 * so `.` and `..` are written with their dots escaped and an empty name
 * (a build dispatched without a BRANCH) as `%`, which no encoded name is.
 */
function segment(name: string): string {
  if (name === "") return "%";
  return /^\.+$/.test(name) ? name.replaceAll(".", "%2E") : encodeURIComponent(name);
}

/** Where an archived build is listed: under its repository and under its branch or pull request. */
export function historyKeys(status: BuildStatus): string[] {
  const meta = status.meta;
  const repo = meta.FORGE_REPO || meta.REPO_URL || "";
  const pr = Number(meta.PR);
  const ref: HistoryRef = meta.PR && Number.isInteger(pr) ? { pr } : { branch: meta.BRANCH ?? "" };
  const name = `${newestFirst(dispatchSeconds(status))}-${encodeURIComponent(status.job)}`;
  return [historyFolder(repo), historyFolder(repo, ref)].map((folder) => `${folder}${name}`);
}

/** The dispatch time in an index entry's name, in seconds; undefined for a key that is no entry. */
export function entrySeconds(key: string): number | undefined {
  const inverted = /\/(\d{10})-[^/]*$/.exec(key)?.[1];
  return inverted === undefined ? undefined : last - Number(inverted);
}

const last = 9_999_999_999;
/** Seconds as a name part that sorts newest first. */
const newestFirst = (seconds: number) => String(last - seconds).padStart(10, "0");

/** Nomad's dispatched job ids carry their time (`<parent>/dispatch-<seconds>-<id>`), else the submit time. */
function dispatchSeconds(status: BuildStatus): number {
  const fromId = /\/dispatch-(\d+)-[^/]*$/.exec(status.job)?.[1];
  if (fromId !== undefined) return Number(fromId);
  return status.submittedAt === null ? 0 : Math.floor(Date.parse(status.submittedAt) / 1000);
}
