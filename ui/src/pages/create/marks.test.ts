import { describe, expect, it } from "vitest";
import { causesAsFindings, diagnosticText, findingMarks, sortMarks, syntaxMarks } from "./marks";

const src = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: q
spec:
  objective:
    type: minimize
  maxTrialCount: -2
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace:
        min: "0.5"
        max: "0.3"
`;

describe("findingMarks", () => {
  it("puts each finding at its line, a missing field at its parent", () => {
    const marks = findingMarks(src, [
      { severity: "error", field: "spec.parameters[0].feasibleSpace.min", message: "min > max", hint: "swap them" },
      { severity: "error", field: "spec.maxTrialCount", message: "must be greater than 0" },
      { severity: "error", field: "spec.objective.objectiveMetricName", message: "Required value" },
    ]);
    expect(marks.map((m) => m.line)).toEqual([13, 8, 6]);
    expect(marks.map((m) => m.exact)).toEqual([true, true, false]);
    expect(sortMarks(marks).map((m) => m.line)).toEqual([6, 8, 13]);
    expect(diagnosticText(marks[0])).toBe("min > max\nHint: swap them");
    expect(diagnosticText(marks[2])).toContain("marked at its parent");
  });
  it("maps a denied create's causes the same way", () => {
    const f = causesAsFindings([{ field: "spec.maxTrialCount", message: "Invalid value: -2" }]);
    expect(f[0].message).toBe("spec.maxTrialCount: Invalid value: -2");
    expect(findingMarks(src, f)[0].line).toBe(8);
  });
});

describe("syntaxMarks", () => {
  it("marks YAML syntax errors locally", () => {
    const marks = syntaxMarks("spec:\n  maxTrialCount: 3\n   bad: [1\n");
    expect(marks.length).toBeGreaterThan(0);
    expect(marks[0].source).toBe("yaml");
    expect(syntaxMarks(src)).toEqual([]);
  });
});
