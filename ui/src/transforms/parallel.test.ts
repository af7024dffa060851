import { describe, expect, it } from "vitest";
import { buildModel } from "./trialTable";
import { arrangeAxes, colorRange, moveAxis, parallel, parallelAxes } from "./parallel";
import { row, table } from "./fixtures";

const model = buildModel(
  table([
    row("a", {
      objective: 0.4,
      assignments: { lr: "0.01", layers: "2", optimizer: "ftrl" },
      metrics: { accuracy: { latest: 0.8 } },
    }),
    row("b", { phase: "Running", assignments: { lr: "0.02", layers: "3", optimizer: "sgd" } }),
    row("c", {
      objective: 0.2,
      assignments: { lr: "0.001", layers: "5", optimizer: "sgd" },
      metrics: { accuracy: { latest: 0.9 } },
    }),
    row("d", {
      objective: 0.3,
      assignments: { lr: "0.003", layers: "1", optimizer: "adam" },
      metrics: {},
    }),
  ]),
);

describe("parallel coordinates", () => {
  it("default axes: parameters, other metrics, then the objective", () => {
    expect(parallelAxes(model).map((a) => a.id)).toEqual([
      "param:0",
      "param:1",
      "param:2",
      "metric:accuracy",
      "objective",
    ]);
  });

  it("maps categorical values to their index in the spec's list and marks log and category axes", () => {
    const p = parallel(model, arrangeAxes(parallelAxes(model), [], new Set(["metric:accuracy"])));
    expect(p.axes.map((a) => a.kind)).toEqual(["log", "number", "category", "number"]);
    expect(p.axes[2].categories).toEqual(["sgd", "adam", "ftrl"]);
    // b has no objective: not drawn
    expect(p.data).toEqual([
      [0.01, 2, 2, 0.4, 0.4],
      [0.001, 5, 0, 0.2, 0.2],
      [0.003, 1, 1, 0.3, 0.3],
    ]);
    expect(p.rowIndex).toEqual([0, 2, 3]);
    expect(p.colorDim).toBe(4);
    expect(p.axes[0]).toMatchObject({ min: 0.0001, max: 0.1 });
  });

  it("hidden axes leave the data; reordered axes reorder every line", () => {
    const all = parallelAxes(model);
    let order = all.map((a) => a.id);
    order = moveAxis(order, "objective", -1); // objective before accuracy
    order = moveAxis(order, "param:0", 1); // layers first
    const visible = arrangeAxes(all, order, new Set(["param:2"]));
    expect(visible.map((a) => a.id)).toEqual([
      "param:1",
      "param:0",
      "objective",
      "metric:accuracy",
    ]);
    const p = parallel(model, visible);
    expect(p.data[0]).toEqual([2, 0.01, 0.4, 0.8, 0.4]);
    // d lacks accuracy: left out and counted while that axis is shown
    expect(p.rowIndex).toEqual([0, 2]);
    expect(p.omitted).toBe(1);
  });

  it("moving the first axis left or the last right changes nothing", () => {
    expect(moveAxis(["a", "b"], "a", -1)).toEqual(["a", "b"]);
    expect(moveAxis(["a", "b"], "b", 1)).toEqual(["a", "b"]);
  });

  it("colour direction follows the objective type, not the metric's name", () => {
    const p = parallel(model, parallelAxes(model).slice(0, 2));
    expect(colorRange(model, p.data, p.colorDim)).toEqual({
      min: 0.2,
      max: 0.4,
      goodIsHigh: false,
    });
    const maxModel = buildModel(
      table(model.rows, { objective: { metric: "loss", type: "maximize" } }),
    );
    expect(colorRange(maxModel, p.data, p.colorDim).goodIsHigh).toBe(true);
  });
});
