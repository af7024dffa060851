import { describe, expect, it } from "vitest";
import { buildModel } from "./trialTable";
import { contour, slice } from "./slice";
import { row, table, generated } from "./fixtures";
import type { ParameterSpec } from "../api/types";

const xy: ParameterSpec[] = [
  { name: "x", parameterType: "double", feasibleSpace: { min: "0", max: "1" } },
  { name: "y", parameterType: "double", feasibleSpace: { min: "0", max: "1" } },
  { name: "c", parameterType: "categorical", feasibleSpace: { list: ["p", "q"] } },
];

describe("slice", () => {
  it("objective against one parameter, trials without an objective left out", () => {
    const m = buildModel(
      table([
        row("a", { objective: 1, assignments: { layers: "3" } }),
        row("b", { phase: "Failed", assignments: { layers: "4" } }),
        row("c", { objective: 2, assignments: { layers: "6" } }),
      ]),
    );
    expect(slice(m, 1).points).toEqual([
      [3, 1, 1],
      [6, 2, 3],
    ]);
  });
});

describe("contour", () => {
  const m = buildModel(
    table(
      [
        row("low", { objective: 0, assignments: { x: "0.1", y: "0.1", c: "p" } }),
        row("high", { objective: 10, assignments: { x: "0.9", y: "0.9", c: "q" } }),
      ],
      { parameters: xy },
    ),
  );

  it("interpolates on the grid: cells near a trial take its value, the middle is between", () => {
    const c = contour(m, 0, 1, 10)!;
    expect(c.x.cells).toBe(10);
    expect(c.grid.length).toBe(100);
    const at = (i: number, j: number) => c.grid.find((g) => g[0] === i && g[1] === j)![2];
    expect(at(0, 0)).toBeLessThan(1);
    expect(at(9, 9)).toBeGreaterThan(9);
    expect(at(4, 5)).toBeCloseTo(5, 5); // equidistant from both trials
    expect(c.min).toBe(0);
    expect(c.max).toBe(10);
    for (const g of c.grid) {
      expect(g[2]).toBeGreaterThanOrEqual(0);
      expect(g[2]).toBeLessThanOrEqual(10);
    }
  });

  it("a categorical axis gets one cell per category", () => {
    const c = contour(m, 0, 2, 20)!;
    expect(c.y.cells).toBe(2);
    expect(c.grid.length).toBe(40);
    expect(c.points).toEqual([
      [0.1, 0, 0],
      [0.9, 1, 10],
    ]);
  });

  it("log and int parameters: cells evenly spaced in log10, one per int value", () => {
    const g = buildModel(generated(200));
    const c = contour(g, 0, 1, 50)!;
    expect(c.x.lo).toBeCloseTo(-4);
    expect(c.x.hi).toBeCloseTo(-1);
    expect(c.x.centers[0]).toBeCloseTo(10 ** (-4 + 3 / 100));
    expect(c.y.cells).toBe(8); // layers 1..8
    expect(c.y.centers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("no trial with an objective: no grid", () => {
    expect(contour(buildModel(table([row("r", { phase: "Running" })])), 0, 1)).toBeNull();
  });
});
