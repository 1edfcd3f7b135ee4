import { UpstreamError } from "../upstream-error.js";
import type { Blocking, Indexed, NomadHttp } from "./http.js";
import type { AllocationStub, DispatchResponse, JobListStub, JobSpec, JobSummary } from "./types.js";

export type DispatchOptions = {
  meta: Record<string, string>;
  /** A retried delivery with the same token gets the existing child, not a new build. */
  idempotencyToken?: string;
};

const jobPath = (id: string) => `/v1/job/${encodeURIComponent(id)}`;

export function createJobs(http: NomadHttp) {
  return {
    /** Lets Nomad itself parse HCL2, so Petrel accepts exactly what `nomad job run` does. */
    parse: (hcl: string, variables: Record<string, HclValue> = {}) =>
      http.json<JobSpec>("POST", "/v1/jobs/parse", {
        body: { JobHCL: hcl, Variables: toVarFile(variables), Canonicalize: true },
      }),

    register: (job: JobSpec) => http.json<{ EvalID: string; Index: number }>("POST", "/v1/jobs", { body: { Job: job } }),

    /** Jobs whose id starts with `prefix`: a builder's dispatched children are `<builder>/dispatch-…`. */
    list: (prefix: string, { meta = false } = {}) => http.json<JobListStub[]>("GET", "/v1/jobs", { query: { prefix, meta } }),

    /** A job's allocation counts: the cheapest answer that proves a job exists. */
    summary: (id: string) => http.json<{ JobID: string }>("GET", `${jobPath(id)}/summary`),

    /** Every dispatched child Nomad knows, with its meta, and the index to follow changes from. */
    children: async (): Promise<Indexed<JobListStub[]>> => {
      const { value, index } = await http.read<JobListStub[]>("/v1/jobs", { query: { meta: true } });
      return { value: value.filter((job) => job.ParentID !== ""), index };
    },

    get: (id: string) => http.json<JobSummary>("GET", jobPath(id)),

    /** The job, or undefined when Nomad has none by that id (never dispatched, or garbage-collected). */
    find: async (id: string): Promise<JobSummary | undefined> => {
      try {
        return await http.json<JobSummary>("GET", jobPath(id));
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404) return undefined;
        throw error;
      }
    },

    /** The job, blocking until it changes past `index` (stopped, or its status moved). */
    read: (id: string, blocking: Blocking = {}, signal?: AbortSignal): Promise<Indexed<JobSummary>> =>
      http.read<JobSummary>(jobPath(id), { ...blocking, ...(signal === undefined ? {} : { signal }) }),

    // No payload: whatever Petrel tells a build travels in meta, visible in
    // `nomad job status`, and secrets travel in neither.
    dispatch: (id: string, { meta, idempotencyToken }: DispatchOptions) =>
      http.json<DispatchResponse>("POST", `${jobPath(id)}/dispatch`, {
        query: { idempotency_token: idempotencyToken },
        body: { Meta: meta },
      }),

    allocations: (id: string, blocking: Blocking = {}, signal?: AbortSignal): Promise<Indexed<AllocationStub[]>> =>
      http.read<AllocationStub[]>(`${jobPath(id)}/allocations`, { ...blocking, ...(signal === undefined ? {} : { signal }) }),

    stop: (id: string) => http.json<{ EvalID: string }>("DELETE", jobPath(id)),
  };
}

export type HclValue = string | number | boolean | string[];

/** HCL variable assignments; JSON strings, numbers and lists are valid HCL expressions. */
function toVarFile(variables: Record<string, HclValue>): string {
  return Object.entries(variables)
    .map(([name, value]) => `${name} = ${JSON.stringify(value)}\n`)
    .join("");
}
