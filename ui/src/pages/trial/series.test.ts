import { describe, expect, it } from "vitest";
import type { ObservationLog } from "../../api/types";
import { metricSeries, scalesDiffer, seriesPoints } from "./series";

const log: ObservationLog = {
  kind: "ObservationLog",
  trialName: "t",
  metricLogs: [
    { timeStamp: "2026-01-01T00:00:00Z", metric: { name: "accuracy", value: "0.3" } },
    { timeStamp: "2026-01-01T00:00:00Z", metric: { name: "loss", value: "1.5" } },
    { timeStamp: "2026-01-01T00:00:01Z", metric: { name: "loss", value: "0.9" } },
    { timeStamp: "2026-01-01T00:00:02Z", metric: { name: "loss", value: "nan-ish" } },
    { timeStamp: "2026-01-01T00:00:03Z", metric: { name: "loss", value: "1.2" } },
    { timeStamp: "2026-01-01T00:00:03Z", metric: { name: "accuracy", value: "0.5" } },
  ],
};

describe("metricSeries", () => {
  it("groups reports per metric with latest, min and max", () => {
    const [loss, acc] = metricSeries(log, ["loss", "accuracy"]);
    expect(loss.name).toBe("loss");
    expect(loss.reports).toBe(4);
    expect(loss.latest).toBe(1.2);
    expect(loss.min).toBe(0.9);
    expect(loss.max).toBe(1.5);
    expect(acc.values).toEqual([0.3, 0.5]);
  });
  it("orders metrics as asked, others by first appearance", () => {
    expect(metricSeries(log).map((s) => s.name)).toEqual(["accuracy", "loss"]);
    expect(metricSeries(log, ["loss"]).map((s) => s.name)).toEqual(["loss", "accuracy"]);
    expect(metricSeries(undefined)).toEqual([]);
  });
});

describe("seriesPoints", () => {
  it("gives report indices or times and skips values that are not numbers", () => {
    const [loss] = metricSeries(log, ["loss"]);
    expect(seriesPoints(loss, "index")).toEqual([
      [1, 1.5],
      [2, 0.9],
      [4, 1.2],
    ]);
    expect(seriesPoints(loss, "time")[1]).toEqual([Date.parse("2026-01-01T00:00:01Z"), 0.9]);
  });
});

describe("scalesDiffer", () => {
  const s = (name: string, values: number[]) =>
    metricSeries({
      kind: "ObservationLog",
      trialName: "t",
      metricLogs: values.map((v) => ({ timeStamp: "2026-01-01T00:00:00Z", metric: { name, value: String(v) } })),
    })[0];
  it("is true when one metric's range dwarfs another's", () => {
    expect(scalesDiffer([s("loss", [900, 120]), s("acc", [0.2, 0.9])])).toBe(true);
    expect(scalesDiffer([s("loss", [1.9, 0.4]), s("acc", [0.2, 0.9])])).toBe(false);
    expect(scalesDiffer([s("loss", [1, 2])])).toBe(false);
  });
});
