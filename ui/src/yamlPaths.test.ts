import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { locateField, parseFieldPath, yamlProblems } from "./yamlPaths";

const src = `# an experiment with mistakes
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: demo
  labels:
    app.kubernetes.io/name: tuner
    "quoted.key": "x"
spec:
  objective:
    type: minimize
  algorithm:
    algorithmName: random
  maxTrialCount: -2
  parallelTrialCount: 3
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace:
        min: "0.5"
        max: "0.3"
    - name: layers
      parameterType: int
      feasibleSpace:
        min: "9"
        max: "1"
  trialTemplate:
    trialSpec:
      spec:
        template:
          spec:
            containers:
              - name: main
                command:
                  - python3
                  - train.py
`;

// The 1-based line of the first line containing `text` (searching from line `after`).
function lineWith(text: string, after = 1): number {
  const lines = src.split("\n");
  for (let i = after - 1; i < lines.length; i++) if (lines[i].includes(text)) return i + 1;
  throw new Error(`no line with ${text}`);
}

describe("parseFieldPath", () => {
  it("splits keys and indices", () => {
    expect(parseFieldPath("spec.parameters[1].feasibleSpace.min")).toEqual([
      "spec",
      "parameters",
      1,
      "feasibleSpace",
      "min",
    ]);
    expect(parseFieldPath("spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command")).toEqual([
      "spec",
      "trialTemplate",
      "trialSpec",
      "spec",
      "template",
      "spec",
      "containers",
      0,
      "command",
    ]);
    expect(parseFieldPath("")).toEqual([]);
  });
  it("keeps dots and quotes inside bracketed keys", () => {
    expect(parseFieldPath("metadata.labels[app.kubernetes.io/name]")).toEqual([
      "metadata",
      "labels",
      "app.kubernetes.io/name",
    ]);
    expect(parseFieldPath(`metadata.labels["quoted.key"]`)).toEqual(["metadata", "labels", "quoted.key"]);
    expect(parseFieldPath(`a['it\\'s'].b`)).toEqual(["a", "it's", "b"]);
  });
});

describe("locateField", () => {
  it("maps three different mistakes to three different correct lines", () => {
    const a = locateField(src, "spec.maxTrialCount");
    const b = locateField(src, "spec.parameters[0].feasibleSpace.min");
    const c = locateField(src, "spec.parameters[1].feasibleSpace.min");
    expect(a.line).toBe(lineWith("maxTrialCount: -2"));
    expect(b.line).toBe(lineWith(`min: "0.5"`));
    expect(c.line).toBe(lineWith(`min: "9"`));
    expect(new Set([a.line, b.line, c.line]).size).toBe(3);
    expect([a.exact, b.exact, c.exact]).toEqual([true, true, true]);
    // A scalar is marked exactly: the value, not the key.
    expect(src.slice(a.from, a.to)).toBe("-2");
    expect(src.slice(b.from, b.to)).toBe(`"0.5"`);
  });
  it("maps a missing field to its nearest present ancestor", () => {
    const m = locateField(src, "spec.objective.objectiveMetricName");
    expect(m.exact).toBe(false);
    expect(m.found).toEqual(["spec", "objective"]);
    expect(m.line).toBe(lineWith("objective:"));
    const deep = locateField(src, "spec.parameters[5].feasibleSpace.min");
    expect(deep.found).toEqual(["spec", "parameters"]);
    expect(deep.line).toBe(lineWith("parameters:"));
    const top = locateField(src, "spec.earlyStopping.algorithmName");
    expect(top.line).toBe(lineWith("spec:"));
  });
  it("follows sequence indices", () => {
    const p1 = locateField(src, "spec.parameters[1]");
    expect(p1.line).toBe(lineWith("- name: layers"));
    const cmd = locateField(src, "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command");
    expect(cmd.exact).toBe(true);
    expect(cmd.line).toBe(lineWith("command:"));
    const arg = locateField(src, "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command[1]");
    expect(arg.line).toBe(lineWith("- train.py"));
  });
  it("finds keys that contain dots or were quoted", () => {
    expect(locateField(src, "metadata.labels[app.kubernetes.io/name]").line).toBe(lineWith("app.kubernetes.io/name"));
    expect(locateField(src, `metadata.labels["quoted.key"]`).line).toBe(lineWith(`"quoted.key"`));
  });
  it("maps the whole document to its first node", () => {
    expect(locateField(src, "").line).toBe(lineWith("apiVersion"));
  });
  it("survives an empty value and an empty document", () => {
    const s = "spec:\n  objective:\n  maxTrialCount: 3\n";
    expect(locateField(s, "spec.objective.type").line).toBe(2);
    expect(locateField("", "spec.maxTrialCount").line).toBe(1);
  });
});

describe("yamlProblems", () => {
  it("reports the parser's errors at their line", () => {
    const bad = "spec:\n  a: 1\n  a: 2\n  b: [1, 2\n";
    const problems = yamlProblems(parseDocument(bad), bad);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.line === 3 && /unique/i.test(p.message))).toBe(true);
    expect(problems.every((p) => !p.message.includes("\n\n"))).toBe(true);
  });
  it("reports nothing for valid YAML", () => {
    expect(yamlProblems(parseDocument(src), src)).toEqual([]);
  });
});
