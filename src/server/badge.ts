import type { BuildSummary } from "../builds/list-builds.js";

export type BadgeVerdict = "passing" | "failing" | "running" | "unknown";

/**
 * What a README badge says of a branch: its newest build while that one
 * runs, else the newest one that ended with a verdict (a canceled build has
 * none, so the one before it speaks), else unknown. `builds`: newest first.
 */
export function badgeVerdict(builds: readonly BuildSummary[]): BadgeVerdict {
  const [newest] = builds;
  if (newest !== undefined && !newest.finished) return "running";
  const judged = builds.find((build) => build.finished && build.state !== "canceled");
  if (judged === undefined) return "unknown";
  return judged.state === "success" ? "passing" : "failing";
}

const colours: Record<BadgeVerdict, string> = { passing: "#2e7d32", failing: "#c62828", running: "#b58900", unknown: "#616161" };

/** A flat "build | verdict" badge; its words are Petrel's own, never the build's. */
export function badgeSvg(verdict: BadgeVerdict): string {
  // Verdana 11px averages about 7 px a character; 10 px of margin each side.
  const [left, right] = [10 + 5 * 7 + 10, 10 + verdict.length * 7 + 10];
  const width = left + right;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="build: ${verdict}">
<title>build: ${verdict}</title>
<rect width="${left}" height="20" fill="#3b4252"/><rect x="${left}" width="${right}" height="20" fill="${colours[verdict]}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="${left / 2}" y="14">build</text><text x="${left + right / 2}" y="14">${verdict}</text>
</g>
</svg>
`;
}
