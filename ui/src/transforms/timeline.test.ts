import { describe, expect, it } from "vitest";
import { buildModel } from "./trialTable";
import { curves, timeline } from "./timeline";
import { row, table } from "./fixtures";

const T = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();

describe("timeline", () => {
  it("lanes in start order, running trials extend to now, unstarted ones left out", () => {
    const m = buildModel(
      table([
        row("first-created", {
          phase: "Succeeded",
          createdAt: T(0),
          startTime: T(20),
          completionTime: T(50),
        }),
        row("second", { phase: "Running", createdAt: T(1), startTime: T(10) }),
        row("pending", { phase: "Created", createdAt: T(2) }),
        row("failed", {
          phase: "Failed",
          createdAt: T(3),
          startTime: T(30),
          completionTime: T(40),
        }),
      ]),
    );
    const now = Date.parse(T(100));
    const t = timeline(m, now);
    expect(t.lanes).toEqual(["second", "first-created", "failed"]);
    expect(t.byPhase.Running).toEqual([2, Date.parse(T(10)), 0, now, 0]);
    expect(t.byPhase.Succeeded).toEqual([2, Date.parse(T(20)), 1, Date.parse(T(50)), 1]);
    expect(t.byPhase.Failed).toEqual([2, Date.parse(T(30)), 2, Date.parse(T(40)), 2]);
    expect(t.min).toBe(Date.parse(T(10)));
    expect(t.max).toBe(now);
  });
});

describe("intermediate curves", () => {
  it("one polyline per trial by report step, grouped by phase; empty trials skipped", () => {
    const c = curves({
      kind: "IntermediateValues",
      metric: "loss",
      maxPointsPerTrial: 1000,
      trials: [
        { name: "a", phase: "Succeeded", values: [3, 2, 1], times: [], reported: 3 },
        { name: "b", phase: "Succeeded", values: [5], times: [], reported: 1 },
        { name: "c", phase: "Running", values: [], times: [], reported: 0 },
        { name: "d", phase: "EarlyStopped", values: [4, 4.5], times: [], reported: 2 },
      ],
    });
    expect(c.byPhase.Succeeded).toEqual([3, 1, 3, 2, 2, 3, 1, 2, 1, 5, 1, 5]);
    expect(c.byPhase.EarlyStopped).toEqual([2, 1, 4, 2, 4.5]);
    expect(c.byPhase.Running).toBeUndefined();
    expect(c).toMatchObject({ trials: 3, points: 6, maxStep: 3, min: 1, max: 5 });
  });

  it("a thinned curve spans all its reports", () => {
    const c = curves({
      kind: "IntermediateValues",
      metric: "loss",
      maxPointsPerTrial: 3,
      trials: [{ name: "long", phase: "Running", values: [9, 5, 1], times: [], reported: 101 }],
    });
    expect(c.byPhase.Running).toEqual([3, 1, 9, 51, 5, 101, 1]);
    expect(c.maxStep).toBe(101);
  });
});
