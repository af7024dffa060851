import { describe, expect, it } from "vitest";
import { objectiveColors, objectiveVisualMap } from "./colors";

describe("objectiveVisualMap", () => {
  it("puts best at the high end when higher is better, at the low end otherwise", () => {
    const up = objectiveVisualMap(0.5, 2, true);
    expect([up.min, up.max]).toEqual([0.5, 2]);
    // ECharts' text[0] labels the high end.
    expect(up.text).toEqual(["best", "worst"]);
    expect(up.inRange.color).toEqual(objectiveColors(true));
    const down = objectiveVisualMap(0.5, 2, false);
    expect(down.text).toEqual(["worst", "best"]);
    expect(down.inRange.color).toEqual([...objectiveColors(true)].reverse());
  });
});
