/**
 * Every key Petrel keeps in Consul KV, under the operator's prefix. The
 * operator writes the configs; Petrel writes only under `_petrel/` (and the
 * PDU off clock), each kind through one owner module named beside it.
 */
const b64url = (value: string) => Buffer.from(value, "utf8").toString("base64url");

/** The job a `reported` or `superseded` key is about. */
export const jobOfKey = (key: string) => Buffer.from(key.slice(key.lastIndexOf("/") + 1), "base64url").toString("utf8");

/** The folders under `_petrel/` whose keys the janitor sweeps (`janitor.ts`). */
type SweptFolder = "redeemed" | "reported" | "superseded" | "latest";
const folder = (prefix: string, name: SweptFolder) => `${prefix}/_petrel/${name}/`;

export const consulKeys = {
  /**
   * A repository's config (operator; `consul/repo-config.ts`): Albatros'
   * standard base64 of the clone URL first, then URL-safe base64, whose key
   * has no `/` that Consul would read as a folder separator.
   */
  repoConfig: (prefix: string, cloneUrl: string): [standard: string, urlSafe: string] => [
    `${prefix}/${Buffer.from(cloneUrl, "utf8").toString("base64")}`,
    `${prefix}/${b64url(cloneUrl)}`,
  ],
  /** A gateway's boot config by its certificate's fingerprint (operator; `consul/gateway-config.ts`). */
  gateway: (prefix: string, fingerprint: string) => `${prefix}/gateways/${fingerprint}`,
  /** A PDU's and a board's config (operator; `gateway/config.ts`). */
  pdu: (prefix: string, pdu: string) => `${prefix}/pdus/${pdu}`,
  dut: (prefix: string, dut: string) => `${prefix}/duts/${dut}`,
  /** When an outlet went off, until it is on again (`gateway/off-clock.ts`). */
  pduOff: (prefix: string, pdu: string, outlet: number) => `${prefix}/pdu-off/${pdu}/${outlet}`,
  /** The key single-use tokens are signed with (`single-use/signing-key.ts`). */
  signingKey: (prefix: string) => `${prefix}/_petrel/single-use-key`,
  /** A single-use token that was redeemed, by its id (`single-use/single-use.ts`). */
  redeemed: (prefix: string, tokenId: string) => `${folder(prefix, "redeemed")}${tokenId}`,
  folder,
  /** The last commit status posted for a build (`report/report-build.ts`). */
  reported: (prefix: string, job: string) => `${folder(prefix, "reported")}${b64url(job)}`,
  /** The commit that superseded a canceled build (`dispatch/latest-builds.ts`). */
  superseded: (prefix: string, job: string) => `${folder(prefix, "superseded")}${b64url(job)}`,
  /** The latest build of a branch or pull request and flavor, by a digest of them (`dispatch/latest-builds.ts`). */
  latest: (prefix: string, lineage: string) => `${folder(prefix, "latest")}${lineage}`,
  /** A request waiting for approval, by its id (`approval/approvals.ts`). */
  approval: (prefix: string, id: string) => `${prefix}/_petrel/approval/${id}`,
};
