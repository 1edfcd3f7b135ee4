import { randomUUID } from "node:crypto";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRepoConfig } from "../../src/consul/repo-config.js";
import { registerBuilder } from "../cluster/builder.js";
import { finishedAllocation } from "../support/allocations.js";
import { launchChromium } from "../support/browser.js";
import { colouredScript, dispatchScript } from "../support/build-repo.js";
import { clusterClients } from "../support/clients.js";
import { giteaPush } from "../support/payloads.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { sendHook } from "../support/send-hook.js";

const { nomad, consul } = clusterClients();
let petrel: TestPetrel;
let builder: string;
let browser: BrowserContext;
/** What Chromium refused under the pages' own Content-Security-Policy, on any page of these tests. */
const refused: string[] = [];
const apiToken = "page-api-token-c9f0f895fb98";
const hookSecret = "page-hook-secret-45c48cce2e2d";

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "build-page" });
  petrel = await startPetrel({ PETREL_API_TOKEN: apiToken });
  browser = await launchChromium();
  browser.on("page", (page) => page.on("console", (message) => /Content Security Policy/i.test(message.text()) && refused.push(message.text())));
});
afterAll(async () => {
  await browser?.close();
  await petrel?.stop();
});

const pageUrl = (job: string) => `${petrel.url}/build?job=${encodeURIComponent(job)}`;

describe("the live build page in a real headless Chromium", () => {
  it("is served under its own policy, never framed, and varies by Accept like its JSON twin", async () => {
    const job = await dispatchScript(nomad, builder, colouredScript(0));
    const html = await fetch(pageUrl(job), { headers: { accept: "text/html" } });
    expect(html.headers.get("content-security-policy")).toMatch(/^default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; .*frame-ancestors 'none'$/);
    expect(html.headers.get("x-frame-options")).toBe("DENY");
    expect(html.headers.get("vary")).toMatch(/\bAccept\b/);
    const json = await fetch(pageUrl(job), { headers: { accept: "application/json" } });
    expect(json.headers.get("vary")).toMatch(/\bAccept\b/);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("shows the log in colour while the build runs and its final state when it ends, without reload", async () => {
    const job = await dispatchScript(nomad, builder, colouredScript(0, 3));
    const page = await browser.newPage();
    await page.goto(pageUrl(job));
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));

    const green = page.locator("#stdout span", { hasText: "green <ok>" });
    await green.waitFor({ timeout: 60_000 });
    expect(await green.getAttribute("style")).toBe("color:rgb(0,187,0)");
    expect(await page.locator("#state").textContent()).toMatch(/^(pending|running)$/);
    expect(await page.locator("#stdout").textContent()).not.toContain("red & bold");

    await page.locator("body[data-final=true]").waitFor({ timeout: 60_000 });
    expect(await page.locator("#state").textContent()).toBe("success");
    const red = page.locator("#stdout span", { hasText: "red & bold" });
    expect(await red.getAttribute("style")).toBe("font-weight:bold;color:rgb(187,0,0)");
    // The build's "<ok>" is text, never markup.
    expect(await page.locator("#stdout ok").count()).toBe(0);
    expect(await page.locator("#stderr").textContent()).toContain("to stderr");
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(await page.locator("#actions").count()).toBe(1);
    await page.close();
  });

  it("shows a failed build's state and exit code", async () => {
    const job = await dispatchScript(nomad, builder, colouredScript(5));
    await finishedAllocation(nomad, job);
    const page = await browser.newPage();
    await page.goto(pageUrl(job));
    await page.locator("body[data-final=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#state").textContent()).toBe("failure");
    expect(await page.locator("#facts").textContent()).toContain("exit code5");
    expect(await page.title()).toBe(`${job} — failure`);
    await page.close();
  });

  it("cancels a running build and reruns it from its buttons, asking for the API token once", async () => {
    const job = await dispatchScript(nomad, builder, "echo started; sleep 120");
    const page = await browser.newPage();
    const asked: string[] = [];
    page.on("dialog", (dialog) => {
      asked.push(dialog.message());
      void dialog.accept(apiToken);
    });
    await page.goto(pageUrl(job));
    await page.locator("#stdout", { hasText: "started" }).waitFor({ timeout: 60_000 });
    await page.locator("#cancel").click();
    await page.locator("body[data-final=true]").waitFor({ timeout: 60_000 });
    expect(await page.locator("#state").textContent()).toBe("canceled");
    expect((await nomad.jobs.get(job)).Stop).toBe(true);

    await page.locator("#rerun").click();
    await page.waitForURL((url) => url.searchParams.get("job") !== job, { timeout: 30_000 });
    const rerun = new URL(page.url()).searchParams.get("job")!;
    expect(rerun).toMatch(/^build-page\/dispatch-/);
    expect((await nomad.jobs.get(rerun)).Meta).toMatchObject({ COMMIT: (await nomad.jobs.get(job)).Meta!.COMMIT });
    expect(asked).toEqual(["Petrel API token (PETREL_API_TOKEN)"]);
    await nomad.jobs.stop(rerun);
    await page.close();
  });

  it("shows what waits for approval, and its Approve button builds it and opens the build's page", async () => {
    const pending = await registerBuilder(nomad, { id: "build-page-approval", unplaceable: true });
    const url = `https://git.example.org/team/${randomUUID()}.git`;
    await writeRepoConfig(consul, "petrel-test", url, { hook: { secret: hookSecret }, trusted: { senders: ["alice"] }, builder: pending });
    const answer = await sendHook(petrel.url, { forge: "gitea", secret: hookSecret, payload: giteaPush({ cloneUrl: url, sender: "mallory" }) });
    const { url: approvalUrl } = (answer.json() as { awaitingApproval: { url: string } }).awaitingApproval;
    const page = await browser.newPage();
    page.on("dialog", (dialog) => void dialog.accept(apiToken));
    await page.goto(approvalUrl);
    await page.locator("body[data-loaded=true]").waitFor({ timeout: 30_000 });
    expect(await page.locator("#title").textContent()).toBe(url);
    expect(await page.locator("#facts").textContent()).toContain("sender mallory is not a trusted sender");

    await page.locator("#approve").click();
    await page.waitForURL((to) => to.pathname === "/build", { timeout: 30_000 });
    const job = new URL(page.url()).searchParams.get("job")!;
    expect(job).toMatch(/^build-page-approval\/dispatch-/);
    expect((await nomad.jobs.get(job)).Meta).toMatchObject({ TRUSTED: "false", SENDER: "mallory" });
    await nomad.jobs.stop(job);
    await page.close();
  });

  it("asks again from where it was when Petrel ends a quiet follow, and shows every line once", async () => {
    const quiet = await startPetrel({ PETREL_LOG_IDLE: "1" });
    try {
      const job = await dispatchScript(nomad, builder, "echo one; sleep 4; echo two");
      const page = await browser.newPage();
      await page.goto(`${quiet.url}/build?job=${encodeURIComponent(job)}`);
      await page.locator("body[data-final=true]").waitFor({ timeout: 60_000 });
      expect(await page.locator("#state").textContent()).toBe("success");
      expect(await page.locator("#stdout").textContent()).toBe("one\ntwo\n");
      await page.close();
    } finally {
      await quiet.stop();
    }
  });

  it("asks once more when the build is over after a quiet follow ended, so a last line still on its way is shown", async () => {
    const job = await dispatchScript(nomad, builder, "echo one; echo two");
    await finishedAllocation(nomad, job);
    const page = await browser.newPage();
    // The first follow ends as a quiet one does when the build's last line had not reached Petrel yet.
    let cut = false;
    await page.route((url) => url.searchParams.get("log") === "stdout" && url.searchParams.get("offset") === "0", async (route) => {
      if (cut) return route.continue();
      cut = true;
      await route.fulfill({ status: 200, contentType: "text/plain; charset=utf-8", body: "one\n" });
    });
    await page.goto(pageUrl(job));
    await page.locator("body[data-final=true]").waitFor({ timeout: 30_000 });
    expect(cut).toBe(true);
    expect(await page.locator("#stdout").textContent()).toBe("one\ntwo\n");
    await page.close();
  });

  it("says what is wrong for an unknown job", async () => {
    const page = await browser.newPage();
    const answer = await page.goto(pageUrl("build-page/dispatch-1-00000000"));
    expect(answer?.status()).toBe(404);
    expect(await page.locator("body").textContent()).toContain("no job 'build-page/dispatch-1-00000000' in Nomad");
    await page.close();
  });

  it("broke no rule of its own Content-Security-Policy on any page above", () => {
    expect(refused).toEqual([]);
  });
});
