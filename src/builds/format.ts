import type { BuildStatus } from "./build-status.js";
import type { BuildSummary } from "./list-builds.js";

/** `petrel status`: one line per build, columns aligned. */
export function formatBuildTable(builds: BuildSummary[], now = Date.now()): string {
  const rows = [
    ["JOB", "REPO", "BRANCH/PR", "COMMIT", "FLAVOR", "STATE", "AGE"],
    ...builds.map((b) => [b.job, b.repo, b.ref, b.commit.slice(0, 10), b.flavor, b.state, formatAge(now - b.submittedAt)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n") + "\n";
}

/** `petrel status JOB`: one build, a field a line, meta last. */
export function formatBuildDetail(status: BuildStatus): string {
  const lines: [string, string | number | null][] = [
    ["job", status.job],
    ["builder", status.builder],
    ["state", `${status.state} (${status.description})`],
    ["exit code", status.exitCode],
    ["allocation", status.allocation ? `${status.allocation.id} (${status.allocation.clientStatus})` : "none yet"],
    ["task", `${status.task}${status.tasks[status.task] ? ` (${status.tasks[status.task]!.state})` : ""}`],
    ["submitted", status.submittedAt],
    ["started", status.startedAt],
    ["finished", status.finishedAt],
    ["duration", status.durationSeconds === null ? null : `${status.durationSeconds} s`],
    ["archived", status.archivedAt ?? null],
    ...Object.entries(status.meta).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]): [string, string] => [`meta ${key}`, value]),
  ];
  const shown = lines.filter(([, value]) => value !== null && value !== "");
  const width = Math.max(...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width + 1)}  ${value}`).join("\n") + "\n";
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
