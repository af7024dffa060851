import { describe, expect, it } from "vitest";
import type { Experiment } from "../../api/types";
import { bestValue, filterRows, formatSort, parseSort, sortRows, toggleSort, toRow } from "./rows";

function exp(name: string, o: { ns?: string; algo?: string; created?: string; best?: string; succeeded?: number } = {}): Experiment {
  return {
    apiVersion: "kubeflow.org/v1beta1",
    kind: "Experiment",
    metadata: { name, namespace: o.ns ?? "default", creationTimestamp: o.created },
    spec: {
      algorithm: { algorithmName: o.algo ?? "random" },
      objective: { type: "minimize", objectiveMetricName: "loss" },
      maxTrialCount: 10,
    },
    status: {
      conditions: [{ type: "Created", status: "True" }, { type: "Running", status: "True" }],
      trials: (o.succeeded ?? 0) + 1,
      trialsSucceeded: o.succeeded ?? 0,
      trialsRunning: 1,
      currentOptimalTrial: o.best
        ? { bestTrialName: `${name}-t1`, observation: { metrics: [{ name: "loss", min: o.best, max: "9", latest: "5" }] } }
        : undefined,
    },
  };
}

describe("toRow", () => {
  it("reads the columns from an experiment", () => {
    const r = toRow(exp("a", { best: "0.25", succeeded: 3 }));
    expect(r.phase).toBe("Running");
    expect(r.algorithm).toBe("random");
    expect(r.metric).toBe("loss");
    expect(r.best).toBe(0.25);
    expect(r.counts).toEqual({ succeeded: 3, running: 1, failed: 0, other: 0, total: 4, max: 10 });
    expect(r.finished).toBe(false);
  });
  it("reads the best value with the metric's strategy", () => {
    const best = { observation: { metrics: [{ name: "acc", min: "0.1", max: "0.9", latest: "0.8" }] } };
    expect(bestValue({ type: "maximize", objectiveMetricName: "acc" }, best)).toBe(0.9);
    expect(bestValue({ type: "minimize", objectiveMetricName: "acc" }, best)).toBe(0.1);
    expect(
      bestValue({ type: "maximize", objectiveMetricName: "acc", metricStrategies: [{ name: "acc", value: "latest" }] }, best),
    ).toBe(0.8);
    expect(bestValue({ type: "maximize", objectiveMetricName: "loss" }, best)).toBeUndefined();
  });
});

describe("filterRows", () => {
  const rows = [exp("mnist-tpe", { algo: "tpe" }), exp("cifar", { algo: "random" }), exp("mnist-grid", { algo: "grid" })].map(toRow);
  it("matches every word against name and algorithm, ignoring case", () => {
    expect(filterRows(rows, "MNIST").map((r) => r.name)).toEqual(["mnist-tpe", "mnist-grid"]);
    expect(filterRows(rows, "random").map((r) => r.name)).toEqual(["cifar"]);
    expect(filterRows(rows, "mnist grid").map((r) => r.name)).toEqual(["mnist-grid"]);
    expect(filterRows(rows, "  ")).toHaveLength(3);
  });
});

describe("sortRows", () => {
  const rows = [
    exp("old", { created: "2026-01-01T00:00:00Z", best: "0.5" }),
    exp("new", { created: "2026-01-03T00:00:00Z" }),
    exp("mid", { created: "2026-01-02T00:00:00Z", best: "0.1", ns: "b" }),
  ].map(toRow);
  const names = (s: string | null) => sortRows(rows, parseSort(s)).map((r) => r.name);
  it("puts the newest first by default", () => {
    expect(names(null)).toEqual(["new", "mid", "old"]);
    expect(names("-age")).toEqual(["old", "mid", "new"]);
  });
  it("sorts by other columns, rows without a best value last", () => {
    expect(names("name")).toEqual(["mid", "new", "old"]);
    expect(names("best")).toEqual(["mid", "old", "new"]);
    expect(names("-best")).toEqual(["old", "mid", "new"]);
    expect(names("namespace")[0]).toBe("mid");
    expect(names("-namespace")[2]).toBe("mid");
    expect(names("bogus")).toEqual(names(null));
  });
  it("toggles a column's direction and round-trips through the URL", () => {
    const s = toggleSort(parseSort(null), "name");
    expect(s).toEqual({ key: "name", desc: false });
    expect(toggleSort(s, "name")).toEqual({ key: "name", desc: true });
    expect(parseSort(formatSort({ key: "best", desc: true }))).toEqual({ key: "best", desc: true });
  });
});
