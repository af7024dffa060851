import { describe, expect, it } from "vitest";
import { applyField, readForm } from "./form";

const src = `# header comment
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: quickstart # the name
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: random
  parallelTrialCount: 3
  maxTrialCount: 12
  parameters:
    - name: optimizer
      parameterType: categorical
      feasibleSpace:
        list: ["sgd", "adam"]
`;

describe("readForm", () => {
  it("reads the common fields", () => {
    const f = readForm(src);
    expect(f.name).toBe("quickstart");
    expect(f.namespace).toBe("");
    expect(f.algorithm).toBe("random");
    expect(f.objectiveType).toBe("minimize");
    expect(f.objectiveMetric).toBe("loss");
    expect(f.maxTrialCount).toBe("12");
    expect(f.parallelTrialCount).toBe("3");
    expect(f.maxFailedTrialCount).toBe("");
  });
});

describe("applyField", () => {
  it("changes one value and keeps comments and the rest of the text", () => {
    const out = applyField(src, "maxTrialCount", "40");
    expect(out).toBe(src.replace("maxTrialCount: 12", "maxTrialCount: 40"));
    const renamed = applyField(src, "name", "other");
    expect(renamed).toBe(src.replace("name: quickstart # the name", "name: other # the name"));
  });
  it("adds an absent field and removes an emptied one", () => {
    const added = applyField(src, "maxFailedTrialCount", "2");
    expect(readForm(added).maxFailedTrialCount).toBe("2");
    expect(added).toContain("# header comment");
    expect(added).toContain(`list: ["sgd", "adam"]`);
    const ns = applyField(src, "namespace", "team-a");
    expect(readForm(ns).namespace).toBe("team-a");
    const removed = applyField(src, "parallelTrialCount", "");
    expect(removed).not.toContain("parallelTrialCount");
    expect(readForm(removed).maxTrialCount).toBe("12");
  });
  it("writes numbers as numbers and leaves a non-number as typed", () => {
    expect(applyField(src, "goal", "0.05")).toContain("goal: 0.05");
    expect(applyField(src, "maxTrialCount", "ten")).toContain("maxTrialCount: ten");
  });
  it("leaves a YAML that does not parse alone", () => {
    const broken = "spec:\n  a: [1, 2\n";
    expect(applyField(broken, "maxTrialCount", "5")).toBe(broken);
  });
  it("builds the document when it is empty", () => {
    expect(readForm(applyField("", "algorithm", "tpe")).algorithm).toBe("tpe");
  });
});
