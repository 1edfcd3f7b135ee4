import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consulCall } from "../../src/consul/client.js";
import { writeRepoConfig, type RepoConfigInput } from "../../src/consul/repo-config.js";
import { consulKeys } from "../../src/consul/keys.js";
import { childrenOf, registerBuilder } from "../cluster/builder.js";
import { freePorts } from "../cluster/ports.js";
import { clusterClients } from "../support/clients.js";
import { giteaPullRequest, giteaPush, gitlabMergeRequest, gitlabPush } from "../support/payloads.js";
import { startPetrel, type TestPetrel } from "../support/petrel.js";
import { sendHook } from "../support/send-hook.js";

const { nomad, consul } = clusterClients();
const prefix = "petrel-test";
const secret = "hook-secret-d41d8cd98f00";
const token = "albatros-token-9e107d9d372b";
const injected = "DEPLOY_KEY=inject-value-5eb63bbbe01e";
let builder: string;
let untrustedBuilder: string;
let petrel: TestPetrel;

/** A repository of its own for each test, with a config in Consul. */
async function repoWith(config: Partial<RepoConfigInput> = {}, kvPrefix = prefix): Promise<string> {
  const url = `https://git.example.org/team/${randomUUID()}.git`;
  await writeRepoConfig(consul, kvPrefix, url, { hook: { token, secret }, trusted: { senders: ["alice"] }, inject: injected, builder, ...config });
  return url;
}

const placeholder = "https://placeholder.invalid/team/widget.git";

/** Children of another repository dispatched one after another until the answer is called; it waits for the last. */
function keepNomadBusy(): () => Promise<void> {
  let busy = true;
  const meta = { REPO_URL: placeholder, COMMIT: "0".repeat(40), BRANCH: "busy", FLAVOR: "default" };
  const dispatching = (async () => {
    while (busy) await nomad.jobs.dispatch(untrustedBuilder, { meta });
  })();
  return async () => {
    busy = false;
    await dispatching;
  };
}
const meta = async (job: string) => (await nomad.jobs.get(job)).Meta ?? {};

beforeAll(async () => {
  builder = await registerBuilder(nomad, { id: "hook-builder", unplaceable: true });
  untrustedBuilder = await registerBuilder(nomad, { id: "hook-builder-untrusted", unplaceable: true });
  petrel = await startPetrel();
});
afterAll(() => petrel?.stop());

describe("POST /hook, Albatros' form", () => {
  it("answers the dispatched job id as text, with an Albatros config stored by Albatros", async () => {
    const url = `https://git.example.org/team/${randomUUID()}.git`;
    // Albatros' own key (standard base64) and JSON, untouched by Petrel.
    const albatrosConfig = { hook: { token }, trusted: { senders: ["alice"] }, inject: injected, builder };
    await consulCall("put", () => consul.kv.set(consulKeys.repoConfig(prefix, url)[0], JSON.stringify(albatrosConfig)));
    const answer = await sendHook(petrel.url, { payload: giteaPush({ cloneUrl: url, after: "1".repeat(40) }), query: { token, flavor: "arm64" } });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/plain/);
    expect(answer.text).toMatch(/^hook-builder\/dispatch-\d+-[0-9a-f]{8}$/);
    expect(await meta(answer.text)).toMatchObject({
      REPO_URL: url,
      COMMIT: "1".repeat(40),
      BRANCH: "main",
      FLAVOR: "arm64",
      FORGE: "gitea",
      STATUS_CONTEXT: "petrel/arm64",
      SENDER: "alice",
      TRUSTED: "true",
      SECRETS_URL: expect.stringMatching(new RegExp(`^${petrel.url}/secrets/build/`)) as unknown,
    });
  });

  it("sends an unchanged Albatros builder only the four keys it accepts", async () => {
    const albatrosBuilder = await registerBuilder(nomad, { id: "hook-albatros-builder", unplaceable: true });
    const job = await nomad.jobs.get(albatrosBuilder);
    await nomad.jobs.register({ ...job, ParameterizedJob: { ...job.ParameterizedJob, MetaOptional: [] } });
    const url = await repoWith({ builder: albatrosBuilder });
    const answer = await sendHook(petrel.url, { payload: giteaPush({ cloneUrl: url }), query: { token } });
    expect(answer.status).toBe(200);
    expect(Object.keys(await meta(answer.text)).sort()).toEqual(["BRANCH", "COMMIT", "FLAVOR", "REPO_URL"]);
  });

  it("refuses a wrong token", async () => {
    const url = await repoWith();
    const answer = await sendHook(petrel.url, { payload: giteaPush({ cloneUrl: url }), query: { token: "not-the-token" } });
    expect(answer.status).toBe(401);
    expect(answer.json().error).toContain("?token=");
  });
});

describe("POST /hook from Gitea", () => {
  it("dispatches one child per configured flavor, each on its own builder", async () => {
    const url = await repoWith({ flavors: { push: ["default", "arm64"] }, builders: { arm64: untrustedBuilder } });
    const answer = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
    expect(answer.status).toBe(200);
    const { builds, trusted } = answer.json() as { builds: { flavor: string; job: string; created: boolean }[]; trusted: boolean };
    expect(trusted).toBe(true);
    expect(builds.map((build) => build.flavor)).toEqual(["default", "arm64"]);
    expect(builds[0]?.job).toMatch(/^hook-builder\/dispatch-/);
    expect(builds[1]?.job).toMatch(/^hook-builder-untrusted\/dispatch-/);
    expect(builds.every((build) => build.created)).toBe(true);
  });

  it("sends a fork's pull request untrusted to the untrusted builder, without secrets", async () => {
    const url = await repoWith({ untrustedBuilder });
    const answer = await sendHook(petrel.url, { forge: "gitea", event: "pull_request", secret, payload: giteaPullRequest({ cloneUrl: url, sender: "mallory" }) });
    expect(answer.status).toBe(200);
    const job = (answer.json().builds as { job: string }[])[0]!.job;
    expect(job).toMatch(/^hook-builder-untrusted\//);
    const found = await meta(job);
    expect(found).toMatchObject({ TRUSTED: "false", PR: "7", EVENT: "pull_request", BRANCH: "refs/pull/7/head", TRUST_REASON: expect.stringContaining("fork") as unknown });
    expect(found).not.toHaveProperty("SECRETS_URL");
  });

  it("applies a config edit in Consul to the very next hook", async () => {
    const url = await repoWith();
    const first = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
    expect((first.json().builds as unknown[]).length).toBe(1);
    await writeRepoConfig(consul, prefix, url, { hook: { secret }, builder, trusted: { senders: ["alice"] }, flavors: { push: ["a", "b", "c"] } });
    const second = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
    expect((second.json().builds as unknown[]).length).toBe(3);
  });

  it.each([
    ["pull_request", giteaPullRequest({ cloneUrl: placeholder, action: "closed" }), "'closed'"],
    ["push", giteaPush({ cloneUrl: placeholder, after: "0".repeat(40), headCommit: null }), "deleted"],
    ["create", { ref: "v1", ref_type: "tag", repository: { clone_url: placeholder } }, "create events"],
    ["wiki", { repository: { clone_url: placeholder } }, "'wiki'"],
  ])("answers 202 with the reason for a %s that must not build", async (event, template, reason) => {
    const url = await repoWith();
    const payload = JSON.parse(JSON.stringify(template).replaceAll(placeholder, url)) as unknown;
    const answer = await sendHook(petrel.url, { forge: "gitea", event, secret, payload });
    expect(answer.status).toBe(202);
    expect(answer.json().ignored).toContain(reason);
  });
});

describe("POST /hook from GitLab", () => {
  it("dispatches pushes, tags and merge requests with new commits", async () => {
    const url = await repoWith({ hook: { secret } });
    for (const [event, payload] of [
      ["Push Hook", gitlabPush({ cloneUrl: url })],
      ["Tag Push Hook", gitlabPush({ cloneUrl: url, kind: "tag_push" })],
      ["Merge Request Hook", gitlabMergeRequest({ cloneUrl: url, action: "update", oldrev: "f".repeat(40) })],
    ] as const) {
      const answer = await sendHook(petrel.url, { forge: "gitlab", event, secret, payload });
      expect(answer.status, event).toBe(200);
      const job = (answer.json().builds as { job: string }[])[0]!.job;
      expect((await meta(job)).FORGE).toBe("gitlab");
    }
  });

  it("refuses a wrong X-Gitlab-Token", async () => {
    const url = await repoWith();
    const answer = await sendHook(petrel.url, { forge: "gitlab", secret: "wrong", payload: gitlabPush({ cloneUrl: url }) });
    expect(answer.status).toBe(401);
    expect(answer.json().error).toContain("X-Gitlab-Token");
  });
});

describe("POST /hook refusals", () => {
  it.each<[string, (url: string) => Parameters<typeof sendHook>[1], number, string]>([
    ["a forged signature", (url) => ({ forge: "gitea", secret: "forged", payload: giteaPush({ cloneUrl: url }) }), 401, "X-Gitea-Signature does not match"],
    ["no signature or token", (url) => ({ forge: "gitea", payload: giteaPush({ cloneUrl: url }) }), 401, "missing X-Gitea-Signature"],
    ["malformed JSON", () => ({ forge: "gitea", secret, body: "{not json" }), 400, "not JSON"],
    ["no repository", () => ({ forge: "gitea", secret, payload: { ref: "refs/heads/main" } }), 400, "repository.clone_url"],
    ["a missing field", (url) => ({ forge: "gitea", secret, payload: { ...giteaPush({ cloneUrl: url }), ref: undefined } }), 400, "ref:"],
    ["no forge headers", (url) => ({ payload: giteaPush({ cloneUrl: url }) }), 400, "X-Gitea-Event"],
    ["a form body", (url) => ({ forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }), headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "application/json"],
    ["a huge body", (url) => ({ forge: "gitea", secret, body: JSON.stringify({ ...giteaPush({ cloneUrl: url }), pad: "x".repeat(3 << 20) }) }), 413, "too large"],
    ["an unknown repository", () => ({ forge: "gitea", secret, payload: giteaPush({ cloneUrl: "https://git.example.org/nobody/nothing.git" }) }), 404, "no Petrel config"],
    ["a bad flavor", (url) => ({ payload: giteaPush({ cloneUrl: url }), query: { token, flavor: "../x" } }), 400, "flavor"],
    ["another repository named for statuses", (url) => ({ forge: "gitea", secret, payload: { ...giteaPush({ cloneUrl: url }), repository: { ...giteaPush({ cloneUrl: url }).repository, full_name: "victim/other" } } }), 400, "'victim/other' is not the repository"],
    ["an html_url that is not a URL", (url) => ({ forge: "gitea", secret, payload: { ...giteaPush({ cloneUrl: url }), repository: { ...giteaPush({ cloneUrl: url }).repository, html_url: "not a url" } } }), 400, "repository.html_url: not a URL"],
    ["a 900 KB clone_url, unsigned", (url) => ({ forge: "gitea", payload: { ...giteaPush({ cloneUrl: url }), repository: { ...giteaPush({ cloneUrl: url }).repository, clone_url: `https://git.example.org/${"a".repeat(900_000)}.git` } } }), 400, "repository.clone_url: longer than 2048 characters"],
    ["a clone_url that is not a URL", () => ({ forge: "gitlab", payload: { ...gitlabPush({ cloneUrl: "https://git.example.org/a/b.git" }), project: { ...gitlabPush({ cloneUrl: "https://git.example.org/a/b.git" }).project, git_http_url: "not a url" } } }), 400, "project.git_http_url: not a URL"],
    ["a commit that is a path", (url) => ({ forge: "gitea", secret, payload: giteaPush({ cloneUrl: url, after: `${"1".repeat(40)}/../../../../../admin/users`, headCommit: null }) }), 400, "after: expected a full commit hash"],
  ])("refuses %s with a JSON 4xx and builds nothing", async (_name, request, status, problem) => {
    const url = await repoWith();
    const before = (await childrenOf(nomad, builder)).length;
    const answer = await sendHook(petrel.url, request(url));
    expect(answer.status).toBe(status);
    expect(answer.json().error).toContain(problem);
    expect((await childrenOf(nomad, builder)).length).toBe(before);
  });

  it("names the field of an invalid repo config, and logs it", async () => {
    const url = `https://git.example.org/team/${randomUUID()}.git`;
    await consulCall("put", () => consul.kv.set(consulKeys.repoConfig(prefix, url)[1], JSON.stringify({ hook: { secret }, flavors: { push: "default" } })));
    const answer = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
    expect(answer.status).toBe(422);
    expect(answer.json().error).toContain("flavors.push");
    expect(petrel.logs()).toContain("flavors.push");
  });

  it("answers 503 when Consul or Nomad is unreachable, and the retry then works", async () => {
    const url = await repoWith();
    const [deadPort] = await freePorts(1);
    for (const env of [{ CONSUL_HTTP_ADDR: `127.0.0.1:${deadPort}` }, { NOMAD_ADDR: `http://127.0.0.1:${deadPort}` }]) {
      const cut = await startPetrel(env);
      const delivery = randomUUID();
      const hook = { forge: "gitea", secret, delivery, payload: giteaPush({ cloneUrl: url }) } as const;
      try {
        const answer = await sendHook(cut.url, hook);
        expect(answer.status).toBe(503);
        expect(answer.json().error).toMatch(/(Consul|Nomad) is unreachable/);
      } finally {
        await cut.stop();
      }
      expect((await sendHook(petrel.url, hook)).status).toBe(200);
    }
  });
});

describe("prototype keys from the sender", () => {
  it("takes a flavor named like an inherited property for a flavor, built on the repository's builder", async () => {
    const url = await repoWith({ builders: { arm: builder } });
    for (const flavor of ["constructor", "__proto__", "toString"]) {
      const answer = await sendHook(petrel.url, { payload: giteaPush({ cloneUrl: url }), query: { token, flavor } });
      expect(answer.status, flavor).toBe(200);
      expect(answer.text, flavor).toMatch(new RegExp(`^${builder}/dispatch-`));
    }
  });

  it("reads GitLab's object_kind of a Service Hook only among the kinds it knows", async () => {
    const url = await repoWith();
    const answer = await sendHook(petrel.url, { forge: "gitlab", event: "Service Hook", secret, payload: { ...gitlabPush({ cloneUrl: url }), object_kind: "constructor" } });
    expect([answer.status, answer.json().ignored]).toEqual([202, "gitlab event 'Service Hook' doesn't build"]);
  });
});

describe("redeliveries", () => {
  it("answers a redelivery with the same job and builds nothing new", async () => {
    const url = await repoWith();
    const hook = { forge: "gitea", secret, delivery: randomUUID(), payload: giteaPush({ cloneUrl: url }) } as const;
    const first = (await sendHook(petrel.url, hook)).json().builds as { job: string; created: boolean }[];
    const again = (await sendHook(petrel.url, hook)).json().builds as { job: string; created: boolean }[];
    expect(again[0]?.job).toBe(first[0]?.job);
    expect([first[0]?.created, again[0]?.created]).toEqual([true, false]);
  });

  it("takes a replay from Gitea's UI (the same body under a new X-Gitea-Delivery) for a redelivery", async () => {
    const url = await repoWith();
    const replay = () => sendHook(petrel.url, { forge: "gitea", secret, delivery: randomUUID(), payload: giteaPush({ cloneUrl: url }) });
    const [first, again] = [(await replay()).json().builds, (await replay()).json().builds] as { job: string; created: boolean }[][];
    expect(again![0]?.job).toBe(first![0]?.job);
    expect([first![0]?.created, again![0]?.created]).toEqual([true, false]);
    expect((await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === url)).toHaveLength(1);
  });

  it("takes GitLab's Resend request (same Idempotency-Key, fresh UUIDs) for a redelivery", async () => {
    const url = await repoWith();
    const idempotencyKey = randomUUID();
    const resend = () =>
      sendHook(petrel.url, { forge: "gitlab", secret, payload: gitlabPush({ cloneUrl: url }), headers: { "idempotency-key": idempotencyKey, "x-gitlab-webhook-uuid": randomUUID() } });
    const [first, again] = [(await resend()).json().builds, (await resend()).json().builds] as { job: string; created: boolean }[][];
    expect(again![0]?.job).toBe(first![0]?.job);
    expect([first![0]?.created, again![0]?.created]).toEqual([true, false]);
    expect((await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === url)).toHaveLength(1);
  });

  it("builds each of the different events GitLab sends under one event UUID", async () => {
    const [one, other] = [await repoWith(), await repoWith()];
    const shared = randomUUID();
    const hooks = [
      { forge: "gitlab", secret, delivery: shared, payload: gitlabPush({ cloneUrl: one }) },
      { forge: "gitlab", secret, delivery: shared, event: "Tag Push Hook", payload: gitlabPush({ cloneUrl: one, kind: "tag_push" }) },
      { forge: "gitlab", secret, delivery: shared, payload: gitlabPush({ cloneUrl: other }) },
    ] as const;
    const firsts: { job: string; created: boolean }[] = [];
    for (const hook of hooks) firsts.push(((await sendHook(petrel.url, hook)).json().builds as { job: string; created: boolean }[])[0]!);
    expect(firsts.map((build) => build.created)).toEqual([true, true, true]);
    expect(new Set(firsts.map((build) => build.job)).size).toBe(3);
  });

  it.each([
    ["reading each new child back", false],
    ["confirming each new child from Nomad's event stream", true],
  ])("answers only real jobs when redeliveries race across two Petrels %s", async (_how, followEvents) => {
    // Their own prefix: their reporters leave the builds of other tests' repositories alone.
    const kvPrefix = "petrel-race";
    const [one, other] = await Promise.all([startPetrel({ PETREL_KV_PREFIX: kvPrefix }, { followEvents }), startPetrel({ PETREL_KV_PREFIX: kvPrefix }, { followEvents })]);
    // Other builds keep the event stream moving past each index, so the stream itself decides whether a child is real.
    const quiet = keepNomadBusy();
    try {
      for (let round = 0; round < 10; round++) {
        const url = await repoWith({}, kvPrefix);
        const hook = { forge: "gitea", secret, delivery: randomUUID(), payload: giteaPush({ cloneUrl: url }) } as const;
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => sendHook(i % 2 ? other.url : one.url, hook)));
        const jobs = new Set(answers.map((answer) => (answer.json().builds as { job: string }[])[0]!.job));
        expect(jobs.size).toBe(1);
        const children = (await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === url);
        expect(children.map((child) => child.id)).toEqual([...jobs]);
      }
    } finally {
      await quiet();
      await Promise.all([one.stop(), other.stop()]);
    }
  });

  it("dispatches 50 concurrent hooks, none lost to Nomad's connection limit", async () => {
    const url = await repoWith();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url, after: (i + 1).toString(16).padStart(40, "0") }) })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    const children = (await childrenOf(nomad, builder)).filter((child) => child.meta.REPO_URL === url);
    expect(children.length).toBe(50);
  });
});

describe("single-use build secrets", () => {
  it("gives a trusted build a SECRETS_URL, never its secrets in Nomad or the log, and nothing to a copy of the URL", async () => {
    const url = await repoWith();
    const answer = await sendHook(petrel.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
    const job = (answer.json().builds as { job: string }[])[0]!.job;
    const spec = JSON.stringify(await nomad.jobs.get(job));
    for (const value of [injected, secret, token]) expect(spec).not.toContain(value);
    const secretsUrl = (await meta(job)).SECRETS_URL!;

    const tampered = await fetch(`${secretsUrl.slice(0, -4)}AAAA`);
    expect(tampered.status).toBe(401);
    // Redemption takes the build's own workload identity (test/integration/secrets.test.ts).
    const copied = await fetch(secretsUrl);
    expect(copied.status).toBe(401);
    expect(await copied.text()).not.toContain(injected);

    for (const value of [injected, secret, token]) expect(petrel.logs()).not.toContain(value);
  });

  it("refuses an expired secrets URL", async () => {
    const url = await repoWith();
    const shortLived = await startPetrel({ PETREL_SECRETS_TTL: "10" });
    try {
      const answer = await sendHook(shortLived.url, { forge: "gitea", secret, payload: giteaPush({ cloneUrl: url }) });
      const secretsUrl = (await meta((answer.json().builds as { job: string }[])[0]!.job)).SECRETS_URL!;
      await new Promise((resolve) => setTimeout(resolve, 11_000));
      const expired = await fetch(secretsUrl);
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { error: string }).error).toContain("expired");
    } finally {
      await shortLived.stop();
    }
  });
});

describe("operations", () => {
  it("counts hooks, dispatches and latency in /metrics, and is ready", async () => {
    expect((await fetch(`${petrel.url}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${petrel.url}/metrics`)).text();
    expect(text).toMatch(/petrel_hooks_total\{forge="gitea",event="push",outcome="dispatched"\} [1-9]/);
    expect(text).toMatch(/petrel_hooks_total\{forge="gitea",event="push",outcome="401"\} [1-9]/);
    expect(text).toMatch(/petrel_dispatches_total\{result="existing"\} [1-9]/);
    expect(text).toMatch(/petrel_hook_dispatch_seconds_count [1-9]/);
  });
});
