import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Lazily unmounts everything mounted at or below `folder`, deepest first, so
 * the folder can be removed. Mount points come from /proc/self/mountinfo,
 * where a space in a path is written \040.
 */
export function unmountUnder(folder: string): void {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((point): point is string => point !== undefined && (point === folder || point.startsWith(`${folder}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of points) execFileSync("umount", ["-l", point]);
}
