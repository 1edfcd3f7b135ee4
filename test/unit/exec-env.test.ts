import { describe, expect, it } from "vitest";
import { parseExecEnv, parseFetchEnv } from "../../src/executor/exec-env.js";
import { ExecFailure } from "../../src/executor/exec-failure.js";

const commit = "0123456789abcdef0123456789abcdef01234567";
const contract = { REPO_URL: "https://git.example.org/team/widget.git", COMMIT: commit, BRANCH: "main", FLAVOR: "default" };

/** The one line `petrel exec` or `petrel fetch` fails with, and its exit code. */
function failure(parse: () => unknown): { code: number; line: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ExecFailure) return { code: error.exitCode, line: error.message };
    throw error;
  }
  throw new Error("parsed");
}

describe("the builder tasks' environment", () => {
  it("reads the contract with Petrel's defaults, an empty variable counting as unset", () => {
    expect(parseExecEnv({ ...contract, SECRETS_URL: "", PETREL_FETCHED: "", NOMAD_TASK_DIR: "/local" })).toEqual({
      ...contract,
      TRUSTED: false,
      PETREL_GIT_CACHE: "/var/cache/petrel/git",
      PETREL_FETCHED: undefined,
      SECRETS_URL: undefined,
      PETREL_GCROOTS: "/nix/var/nix/gcroots/petrel",
      PETREL_UNTRUSTED_NIX_REMOTE: undefined,
      PETREL_SECRETS_WAIT: 600,
      PETREL_EXEC_TIMEOUT: 0,
      NOMAD_TASK_DIR: "/local",
      NOMAD_SECRETS_DIR: undefined,
    });
  });

  it("takes the secrets URL and the trust from Nomad's meta variables, and whole seconds", () => {
    const env = parseExecEnv({ ...contract, NOMAD_META_SECRETS_URL: "https://petrel.example.org/secrets/abc", NOMAD_META_TRUSTED: "true", PETREL_EXEC_TIMEOUT: "90" });
    expect([env.SECRETS_URL, env.TRUSTED, env.PETREL_EXEC_TIMEOUT]).toEqual(["https://petrel.example.org/secrets/abc", true, 90]);
    // The checkout task needs neither branch nor flavor.
    expect(parseFetchEnv({ REPO_URL: contract.REPO_URL, COMMIT: commit, PETREL_FETCHED: "/alloc/petrel-fetched" })).toEqual({
      REPO_URL: contract.REPO_URL,
      COMMIT: commit,
      TRUSTED: false,
      PETREL_GIT_CACHE: "/var/cache/petrel/git",
      PETREL_FETCHED: "/alloc/petrel-fetched",
    });
  });

  it("fails with the usage code and one line naming the first variable that is wrong", () => {
    expect(failure(() => parseExecEnv({ ...contract, COMMIT: "main", BRANCH: "" }))).toEqual({ code: 64, line: "petrel exec: COMMIT expected a full commit hash" });
    expect(failure(() => parseExecEnv({ ...contract, BRANCH: "" }))).toEqual({ code: 64, line: "petrel exec: BRANCH is required" });
    expect(failure(() => parseExecEnv({ ...contract, FLAVOR: "a b" }))).toEqual({ code: 64, line: "petrel exec: FLAVOR expected a flavor name (letters, digits, _ . -)" });
    for (const url of ["file:///etc/passwd", "http://petrel example.org/secrets/abc", "https://"]) {
      expect(failure(() => parseExecEnv({ ...contract, SECRETS_URL: url }))).toEqual({ code: 64, line: "petrel exec: SECRETS_URL expected an http(s) URL" });
    }
    expect(failure(() => parseExecEnv({ ...contract, PETREL_SECRETS_WAIT: "-1" }))).toEqual({ code: 64, line: "petrel exec: PETREL_SECRETS_WAIT expected whole seconds" });
    expect(failure(() => parseFetchEnv({ ...contract, TRUSTED: "yes" }))).toEqual({ code: 64, line: "petrel fetch: TRUSTED expected true or false" });
    expect(failure(() => parseFetchEnv({ COMMIT: commit }))).toEqual({ code: 64, line: "petrel fetch: REPO_URL is required" });
  });
});
