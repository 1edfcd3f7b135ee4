import { createHash } from "node:crypto";
import { consulCall, type Consul } from "../consul/client.js";
import type { BuildRequest } from "../forge/build-request.js";
import { consulKeys } from "../consul/keys.js";

/** An untrusted event Petrel did not build, waiting for a trusted person's approval. */
export type AwaitingApproval = {
  id: string;
  request: BuildRequest;
  flavors: string[];
  /** Why it is not trusted. */
  reason: string;
  since: string;
};

/**
 * The one owner of approval records in Consul (`<prefix>/_petrel/approval/<id>`):
 * one per repository and ref (a branch, a pull request's head), so a newer
 * commit replaces the one still waiting, and an approval, or the pull
 * request's closing, takes it away.
 */
export function createApprovals({ consul, kvPrefix }: { consul: Consul; kvPrefix: string }) {
  const key = (id: string) => consulKeys.approval(kvPrefix, id);

  async function read(id: string): Promise<{ record: AwaitingApproval; index: number } | undefined> {
    if (!isApprovalId(id)) return undefined;
    const entry = await consulCall(`GET kv ${key(id)}`, () => consul.kv.get(key(id)));
    return entry?.Value ? { record: JSON.parse(entry.Value) as AwaitingApproval, index: entry.ModifyIndex } : undefined;
  }

  return {
    async wait(request: BuildRequest, flavors: string[], reason: string): Promise<AwaitingApproval> {
      const record: AwaitingApproval = { id: approvalId(request), request, flavors, reason, since: new Date().toISOString() };
      await consulCall(`PUT kv ${key(record.id)}`, () => consul.kv.set(key(record.id), JSON.stringify(record)));
      return record;
    },

    get: async (id: string) => (await read(id))?.record,

    /** The record, taken away with a check-and-set: of two approvals at once, one gets it. */
    async take(id: string): Promise<AwaitingApproval | undefined> {
      const found = await read(id);
      if (!found) return undefined;
      const taken = await consulCall(`DELETE kv ${key(id)}`, () => consul.kv.del({ key: key(id), cas: found.index }));
      return taken ? found.record : undefined;
    },

    /** Forgets what waits on a ref: its pull request was closed or merged. */
    async drop(ref: Pick<BuildRequest, "cloneUrl" | "branch">): Promise<void> {
      const id = approvalId(ref);
      await consulCall(`DELETE kv ${key(id)}`, () => consul.kv.del(key(id)));
    },

  };
}

export type Approvals = ReturnType<typeof createApprovals>;

/** The id of what waits on a repository's ref: 24 hex digits. */
export const approvalId = ({ cloneUrl, branch }: Pick<BuildRequest, "cloneUrl" | "branch">) =>
  createHash("sha256").update(`${cloneUrl}\0${branch}`).digest("hex").slice(0, 24);

export const isApprovalId = (id: string) => /^[0-9a-f]{24}$/.test(id);
