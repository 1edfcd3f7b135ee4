import type { JobListStub, JobSummary } from "../nomad/types.js";
import type { JobSightings } from "../nomad/job-sightings.js";
import { createReportBuild, type ReportOptions, type ReporterDeps } from "./report-build.js";

export type Reporter = { stop: () => Promise<void>; /** Settles once the first resync has reported every build. */ ready: Promise<void> };

const retryMs = 1_000;

/**
 * Keeps every build's commit status in step with Nomad, restart-safe: at
 * start (and after any lost connection) it looks at every dispatched child
 * Nomad still knows, then follows Nomad's event stream — one connection for
 * all builds — from the index of that look. `sightings` is shown the same
 * stream, for the dispatcher.
 */
export function startReporter(deps: ReporterDeps & { sightings?: JobSightings }): Reporter {
  const reportBuild = createReportBuild(deps);
  const controller = new AbortController();
  const pending = new Map<string, Promise<void>>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /** One report at a time per build, so its states are posted in order. */
  const report = (job: string, options?: ReportOptions): Promise<void> => {
    const next = (pending.get(job) ?? Promise.resolve())
      .then(() => reportBuild(job, options))
      .catch((error: unknown) => deps.logger.warn({ job, err: (error as Error).message }, "could not report a build; retrying on its next change"));
    pending.set(job, next);
    void next.finally(() => pending.get(job) === next && pending.delete(job));
    return next;
  };

  async function resync(): Promise<number> {
    const { value: jobs, index } = await deps.nomad.jobs.children();
    // The listing holds all a build's state needs (a child is never parameterized): no read of each job
    // again, which made a resync after a lost event stream cost Nomad a read per build it still knows.
    const known = (job: JobListStub): JobSummary => ({ ...job, Meta: job.Meta ?? null, ParameterizedJob: null });
    await Promise.all(jobs.filter((job) => job.Meta?.FORGE).map((job) => report(job.ID, { repair: true, known: known(job) })));
    return index;
  }

  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        const index = await resync();
        markReady();
        deps.sightings?.following(index + 1);
        for await (const event of deps.nomad.events(["Job", "Allocation"], index + 1, controller.signal)) {
          deps.sightings?.saw(event);
          if (event.Topic === "Job") {
            const job = event.Payload.Job as JobSummary | undefined;
            // A job event carries the job: one that isn't a forge's build costs nothing more.
            if (job?.ParentID && job.Meta?.FORGE) void report(event.Key, { known: job });
            continue;
          }
          const job = (event.Payload.Allocation as { JobID?: string } | undefined)?.JobID;
          if (job?.includes("/dispatch-")) void report(job);
        }
        deps.sightings?.lost();
      } catch (error) {
        deps.sightings?.lost();
        if (controller.signal.aborted) break;
        deps.logger.warn({ err: (error as Error).message }, "lost Nomad's event stream; looking at every build again shortly");
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  })();

  return {
    ready,
    stop: async () => {
      controller.abort();
      await loop;
      await Promise.all(pending.values());
    },
  };
}
