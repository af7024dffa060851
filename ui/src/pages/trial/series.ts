// A trial's observation log as one series per metric (report order), with latest/min/max.
import type { ObservationLog } from "../../api/types";

export interface MetricSeries {
  name: string;
  values: number[]; // NaN where a report was not a number
  times: number[]; // epoch ms, NaN where unparsable
  latest?: number;
  min?: number;
  max?: number;
  reports: number;
}

// Series in the order given by `order` (e.g. objective first, then additional metrics), then
// any other metric in the order it first appears.
export function metricSeries(log: ObservationLog | undefined, order: string[] = []): MetricSeries[] {
  const byName = new Map<string, MetricSeries>();
  for (const m of log?.metricLogs ?? []) {
    const name = m.metric.name;
    let s = byName.get(name);
    if (!s) {
      s = { name, values: [], times: [], reports: 0 };
      byName.set(name, s);
    }
    const v = Number(m.metric.value);
    const value = m.metric.value.trim() === "" ? NaN : v;
    s.values.push(value);
    s.times.push(Date.parse(m.timeStamp));
    s.reports++;
    if (Number.isFinite(value)) {
      s.latest = value;
      s.min = s.min === undefined ? value : Math.min(s.min, value);
      s.max = s.max === undefined ? value : Math.max(s.max, value);
    }
  }
  const rank = (n: string) => {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  };
  const all = [...byName.values()];
  return all
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s.name) - rank(b.s.name) || a.i - b.i)
    .map(({ s }) => s);
}

// [x, y] points for a chart: x the report index (1-based) or the report's time; reports that
// are not numbers are left out.
export function seriesPoints(s: MetricSeries, x: "index" | "time"): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < s.values.length; i++) {
    const y = s.values[i];
    const xv = x === "index" ? i + 1 : s.times[i];
    if (Number.isFinite(y) && Number.isFinite(xv)) out.push([xv, y]);
  }
  return out;
}

// Whether metrics are better drawn on separate charts: their ranges differ by ten times or
// more, so on one axis the smaller one would be a flat line.
export function scalesDiffer(series: MetricSeries[]): boolean {
  const spans = series
    .filter((s) => s.min !== undefined && s.max !== undefined)
    .map((s) => Math.max(Math.abs(s.min!), Math.abs(s.max!), s.max! - s.min!));
  if (spans.length < 2) return false;
  const lo = Math.min(...spans);
  const hi = Math.max(...spans);
  return lo === 0 ? hi > 0 : hi / lo >= 10;
}
