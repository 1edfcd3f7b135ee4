import { existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { inject } from "vitest";
import "../cluster/provided.js";

const executablePath = "/usr/bin/chromium";

/**
 * Debian's Chromium, headless, in a fresh profile inside the test run's folder
 * (so the cluster's teardown would find a browser that outlived its test).
 */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: install the Debian package chromium (scripts/prepare does)`);
  }
  const profile = mkdtempSync(join(inject("cluster").runDir, "chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
