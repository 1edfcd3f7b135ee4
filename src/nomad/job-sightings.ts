import type { NomadEvent } from "./events.js";

/** How long a dispatch waits for the event stream before it asks Nomad instead. */
const patienceMs = 250;
/** Children registered lately, for a dispatch whose answer arrives after its event did. */
const remembered = 4096;

export type JobSightings = {
  /** The event stream (re)starts at `index`: what Nomad did before it went unseen. */
  following(index: number): void;
  /** One event, in the stream's order. */
  saw(event: NomadEvent): void;
  /** The stream is gone until the next `following`. */
  lost(): void;
  /**
   * Whether Nomad registered `job` at raft index `index`: true once the
   * stream shows it, false once the stream has gone past that index without
   * it, undefined when the stream can't tell (it doesn't cover the index, is
   * lost, or is slower than `patienceMs`).
   */
  registeredAt(job: string, index: number): Promise<boolean | undefined>;
};

type Waiter = { job: string; index: number; settle: (seen: boolean | undefined) => void };

/**
 * What Nomad's event stream saw registered, so that a dispatch can know its
 * child is real without reading it back. Each raft index comes whole, in
 * order, so once an event of a later index arrives every earlier index has
 * been seen; a dispatch whose child was not among them lost a race to a twin
 * and registered nothing.
 */
export function createJobSightings(patience = patienceMs): JobSightings {
  let from: number | undefined;
  let latest = 0;
  const registered = new Map<string, number>();
  const waiting = new Set<Waiter>();

  const settleAll = (which: (waiter: Waiter) => boolean, seen: boolean | undefined) => {
    for (const waiter of waiting) if (which(waiter)) waiter.settle(seen);
  };

  return {
    following(index) {
      from = index;
      latest = index - 1;
      settleAll((waiter) => waiter.index < index, undefined);
    },

    saw(event) {
      if (event.Index > latest) {
        latest = event.Index;
        settleAll((waiter) => waiter.index < latest, false);
      }
      if (event.Topic !== "Job" || event.Type !== "JobRegistered") return;
      registered.set(event.Key, event.Index);
      if (registered.size > remembered) registered.delete(registered.keys().next().value!);
      settleAll((waiter) => waiter.job === event.Key, true);
    },

    lost() {
      from = undefined;
      settleAll(() => true, undefined);
    },

    registeredAt(job, index) {
      if (registered.get(job) === index) return Promise.resolve(true);
      if (from === undefined || index < from) return Promise.resolve(undefined);
      if (index < latest) return Promise.resolve(false);
      return new Promise((resolve) => {
        const timer = setTimeout(() => waiter.settle(undefined), patience);
        const waiter: Waiter = {
          job,
          index,
          settle: (seen) => {
            clearTimeout(timer);
            waiting.delete(waiter);
            resolve(seen);
          },
        };
        waiting.add(waiter);
      });
    },
  };
}
