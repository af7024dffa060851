import { describe, expect, it } from "vitest";
import { buildModel } from "./trialTable";
import { history } from "./history";
import { row, table } from "./fixtures";

function tbl(type: "minimize" | "maximize") {
  return buildModel(
    table(
      [
        row("a", {
          objective: 0.5,
          createdAt: "2026-01-01T00:00:01Z",
          completionTime: "2026-01-01T00:10:00Z",
        }),
        row("b", {
          objective: 0.7,
          createdAt: "2026-01-01T00:00:02Z",
          completionTime: "2026-01-01T00:02:00Z",
        }),
        row("c", { phase: "Failed", createdAt: "2026-01-01T00:00:03Z" }),
        row("d", {
          objective: 0.2,
          createdAt: "2026-01-01T00:00:04Z",
          completionTime: "2026-01-01T00:05:00Z",
        }),
        row("e", {
          objective: 0.9,
          createdAt: "2026-01-01T00:00:05Z",
          completionTime: "2026-01-01T00:06:00Z",
        }),
      ],
      { objective: { metric: "loss", type } },
    ),
  );
}

describe("history", () => {
  it("minimize: the best-so-far line only goes down; trials without an objective are skipped", () => {
    const h = history(tbl("minimize"), "number");
    expect(h.points.map((p) => [p[0], p[1]])).toEqual([
      [1, 0.5],
      [2, 0.7],
      [4, 0.2],
      [5, 0.9],
    ]);
    expect(h.best).toEqual([
      [1, 0.5],
      [2, 0.5],
      [4, 0.2],
      [5, 0.2],
    ]);
    expect(h.bestIndex).toBe(3);
  });

  it("maximize: the best-so-far line only goes up", () => {
    const h = history(tbl("maximize"), "number");
    expect(h.best.map((b) => b[1])).toEqual([0.5, 0.7, 0.7, 0.9]);
    expect(h.bestIndex).toBe(4);
  });

  it("by completion time: points in the order trials finished", () => {
    const h = history(tbl("minimize"), "time");
    expect(h.points.map((p) => p[2])).toEqual([1, 3, 4, 0]); // b, d, e, a
    expect(h.best.map((b) => b[1])).toEqual([0.7, 0.2, 0.2, 0.2]);
    expect(h.points[0][0]).toBe(Date.parse("2026-01-01T00:02:00Z"));
  });

  it("no trial with an objective: nothing to draw", () => {
    const h = history(buildModel(table([row("x", { phase: "Running" })])), "number");
    expect(h.points).toEqual([]);
    expect(h.bestIndex).toBe(-1);
  });
});
