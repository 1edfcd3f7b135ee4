import { describe, expect, it } from "vitest";
import type { NomadEvent } from "../../src/nomad/events.js";
import { createJobSightings } from "../../src/nomad/job-sightings.js";

const registered = (job: string, index: number): NomadEvent => ({ Topic: "Job", Type: "JobRegistered", Key: job, Index: index, Payload: {} });
const allocation = (index: number): NomadEvent => ({ Topic: "Allocation", Type: "AllocationUpdated", Key: "a1", Index: index, Payload: {} });

describe("job sightings", () => {
  it("confirms a child registered at its index, whether the event came before or after the question", async () => {
    const sightings = createJobSightings();
    sightings.following(10);
    sightings.saw(registered("b/dispatch-1", 12));
    expect(await sightings.registeredAt("b/dispatch-1", 12)).toBe(true);
    const asked = sightings.registeredAt("b/dispatch-2", 13);
    sightings.saw(registered("b/dispatch-2", 13));
    expect(await asked).toBe(true);
  });

  it("denies a child once the stream has gone past its index without it", async () => {
    const sightings = createJobSightings();
    sightings.following(10);
    const asked = sightings.registeredAt("b/dispatch-lost", 12);
    sightings.saw(allocation(12));
    sightings.saw(registered("b/dispatch-other", 14));
    expect(await asked).toBe(false);
    expect(await sightings.registeredAt("b/dispatch-late", 13)).toBe(false);
  });

  it("waits while the stream is still at the child's index: more of that index may come", async () => {
    const sightings = createJobSightings();
    sightings.following(10);
    sightings.saw(allocation(12));
    const asked = sightings.registeredAt("b/dispatch-1", 12);
    sightings.saw(registered("b/dispatch-1", 12));
    expect(await asked).toBe(true);
  });

  it("can't tell about an index the stream did not cover, a lost stream, or a slow one", async () => {
    const sightings = createJobSightings(20);
    expect(await sightings.registeredAt("b/dispatch-1", 5)).toBeUndefined();
    sightings.following(10);
    expect(await sightings.registeredAt("b/dispatch-1", 9)).toBeUndefined();
    expect(await sightings.registeredAt("b/dispatch-1", 11)).toBeUndefined();
    const asked = sightings.registeredAt("b/dispatch-2", 12);
    sightings.lost();
    expect(await asked).toBeUndefined();
    expect(await sightings.registeredAt("b/dispatch-2", 12)).toBeUndefined();
  });

  it("after a reconnect, leaves a question before the new start to Nomad and keeps waiting on one after it", async () => {
    const sightings = createJobSightings();
    sightings.following(10);
    const before = sightings.registeredAt("b/dispatch-1", 12);
    const after = sightings.registeredAt("b/dispatch-2", 21);
    sightings.following(20);
    expect(await before).toBeUndefined();
    sightings.saw(registered("b/dispatch-2", 21));
    expect(await after).toBe(true);
  });

  it("takes only a registration at the child's own index for the child", async () => {
    const sightings = createJobSightings();
    sightings.following(10);
    sightings.saw(registered("b/dispatch-1", 12));
    sightings.saw(registered("b/dispatch-3", 15));
    expect(await sightings.registeredAt("b/dispatch-1", 13)).toBe(false);
  });
});
