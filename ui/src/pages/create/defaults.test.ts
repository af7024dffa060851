import { describe, expect, it } from "vitest";
import { addedDefaults } from "./defaults";

describe("addedDefaults", () => {
  it("lists what the defaulted spec adds, by field path", () => {
    const draft = {
      objective: { type: "minimize", objectiveMetricName: "loss" },
      parameters: [{ name: "lr", feasibleSpace: { min: "0.1", max: "1" } }],
      maxTrialCount: 5,
    };
    const defaulted = {
      objective: { type: "minimize", objectiveMetricName: "loss", metricStrategies: [{ name: "loss", value: "min" }] },
      parameters: [{ name: "lr", feasibleSpace: { min: "0.1", max: "1", distribution: "uniform" } }],
      maxTrialCount: 5,
      parallelTrialCount: 3,
      resumePolicy: "Never",
      metricsCollectorSpec: { collector: { kind: "StdOut" } },
    };
    expect(addedDefaults(draft, defaulted)).toEqual([
      { path: "spec.objective.metricStrategies", value: [{ name: "loss", value: "min" }] },
      { path: "spec.parameters[0].feasibleSpace.distribution", value: "uniform" },
      { path: "spec.parallelTrialCount", value: 3 },
      { path: "spec.resumePolicy", value: "Never" },
      { path: "spec.metricsCollectorSpec.collector.kind", value: "StdOut" },
    ]);
  });
  it("reports nothing when the draft sets everything", () => {
    const s = { a: 1, b: { c: [1, 2] } };
    expect(addedDefaults(s, s)).toEqual([]);
  });
});
