import { describe, expect, it } from "vitest";
import { buildModel } from "./trialTable";
import { columnId, columns, emptyFilter, filterRows, sortRows } from "./tableView";
import { row, table } from "./fixtures";

const model = buildModel(
  table([
    row("t1", {
      phase: "Succeeded",
      objective: 0.3,
      createdAt: "2026-01-01T00:00:01Z",
      assignments: { lr: "0.01", layers: "4", optimizer: "adam" },
      metrics: { accuracy: { latest: 0.9 } },
    }),
    row("t2", {
      phase: "Failed",
      createdAt: "2026-01-01T00:00:02Z",
      assignments: { lr: "0.05", layers: "1", optimizer: "sgd" },
    }),
    row("t3", {
      phase: "Succeeded",
      objective: 0.1,
      createdAt: "2026-01-01T00:00:03Z",
      assignments: { lr: "0.001", layers: "8", optimizer: "sgd" },
      metrics: { accuracy: { latest: 0.95 } },
    }),
    row("t4", {
      phase: "Running",
      createdAt: "2026-01-01T00:00:04Z",
      assignments: { lr: "0.02", layers: "2", optimizer: "ftrl" },
    }),
  ]),
);
const names = (rs: { name: string }[]) => rs.map((r) => r.name);

describe("table columns", () => {
  it("has name, status, objective, the other metrics, each parameter, start, duration", () => {
    expect(columns(model).map(columnId)).toEqual([
      "name",
      "status",
      "objective",
      "metric:accuracy",
      "param:0",
      "param:1",
      "param:2",
      "start",
      "duration",
    ]);
  });
});

describe("filterRows", () => {
  it("keeps every row without a filter", () => {
    expect(names(filterRows(model, emptyFilter()))).toEqual(["t1", "t2", "t3", "t4"]);
  });
  it("filters by status", () => {
    expect(
      names(filterRows(model, { ...emptyFilter(), phases: new Set(["Succeeded", "Running"]) })),
    ).toEqual(["t1", "t3", "t4"]);
  });
  it("filters by a numeric parameter range, inclusive", () => {
    expect(
      names(filterRows(model, { ...emptyFilter(), params: { 1: { min: 2, max: 4 } } })),
    ).toEqual(["t1", "t4"]);
    expect(names(filterRows(model, { ...emptyFilter(), params: { 0: { max: 0.01 } } }))).toEqual([
      "t1",
      "t3",
    ]);
  });
  it("filters by a set of categorical values", () => {
    expect(names(filterRows(model, { ...emptyFilter(), params: { 2: new Set(["sgd"]) } }))).toEqual(
      ["t2", "t3"],
    );
  });
  it("an objective range drops trials without an objective", () => {
    expect(names(filterRows(model, { ...emptyFilter(), objective: { min: 0.2 } }))).toEqual(["t1"]);
  });
  it("combines the conditions", () => {
    const f = {
      phases: new Set(["Succeeded" as const]),
      objective: {},
      params: { 2: new Set(["sgd"]) },
    };
    expect(names(filterRows(model, f))).toEqual(["t3"]);
  });
});

describe("sortRows", () => {
  it("sorts by objective both ways, trials without one last", () => {
    expect(names(sortRows(model, model.rows, { column: "objective", desc: false }))).toEqual([
      "t3",
      "t1",
      "t2",
      "t4",
    ]);
    expect(names(sortRows(model, model.rows, { column: "objective", desc: true }))).toEqual([
      "t1",
      "t3",
      "t2",
      "t4",
    ]);
  });
  it("sorts by a numeric parameter as numbers, not strings", () => {
    expect(names(sortRows(model, model.rows, { column: "param:1", desc: false }))).toEqual([
      "t2",
      "t4",
      "t1",
      "t3",
    ]);
  });
  it("sorts by a categorical parameter by its value", () => {
    expect(names(sortRows(model, model.rows, { column: "param:2", desc: false }))).toEqual([
      "t1",
      "t4",
      "t2",
      "t3",
    ]);
  });
  it("sorts by status and by another metric", () => {
    expect(names(sortRows(model, model.rows, { column: "status", desc: false }))).toEqual([
      "t2",
      "t4",
      "t1",
      "t3",
    ]);
    expect(names(sortRows(model, model.rows, { column: "metric:accuracy", desc: true }))).toEqual([
      "t3",
      "t1",
      "t2",
      "t4",
    ]);
  });
  it("without a sort keeps creation order", () => {
    expect(names(sortRows(model, model.rows, null))).toEqual(["t1", "t2", "t3", "t4"]);
  });
});
