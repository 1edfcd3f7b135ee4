import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../src/", import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []));
const outside = files(src).filter((file) => !relative(src, file).startsWith("forge/"));
/** The code of a file without its comments, which may well speak of forges. */
const code = (file: string) => readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

describe("the forges' boundary", () => {
  it("is crossed only through the registry, the interface and the model", () => {
    const crossings = outside.flatMap((file) =>
      [...code(file).matchAll(/from "((?:\.\.?\/)+)forge\/([^"]+)"/g)].map((match) => `${relative(src, file)} → forge/${match[2]}`),
    );
    expect(crossings.length).toBeGreaterThan(0);
    expect(crossings.filter((crossing) => !/→ forge\/(forges|forge|build-request)\.js$/.test(crossing))).toEqual([]);
  });

  it("leaves no code outside src/forge/ naming a forge", () => {
    const named = outside.filter((file) => /gitea|gitlab|gogs/i.test(code(file))).map((file) => relative(src, file));
    expect(named).toEqual([]);
  });
});
