// Timeline: each started trial a bar from its start to its completion (running ones to
// `now`), one lane per trial ordered by start time, grouped by phase for colouring.
import type { IntermediateValues, TrialPhase } from "../api/types";
import type { Model } from "./trialTable";

export interface Timeline {
  // per phase: flat lines data for an ECharts `lines` series: [2, start, lane, end, lane, ...]
  byPhase: Partial<Record<TrialPhase, number[]>>;
  lanes: string[]; // trial name per lane (lane 0 started first)
  min: number;
  max: number;
}

export function timeline(model: Model, now: number): Timeline {
  const started = model.rows.filter((r) => r.start !== undefined);
  started.sort((a, b) => a.start! - b.start! || a.number - b.number);
  const byPhase: Partial<Record<TrialPhase, number[]>> = {};
  let min = Infinity;
  let max = -Infinity;
  started.forEach((r, lane) => {
    const end = r.end ?? (r.phase === "Running" || r.phase === "Created" ? now : r.start!);
    (byPhase[r.phase] ??= []).push(2, r.start!, lane, Math.max(end, r.start!), lane);
    min = Math.min(min, r.start!);
    max = Math.max(max, end);
  });
  return { byPhase, lanes: started.map((r) => r.name), min, max };
}

// Intermediate values: every trial's curve of one metric by report number, as flat polyline
// data per phase ([count, x0, y0, x1, y1, ...]) for ECharts `lines` in large mode. A curve the
// server thinned (`reported` values, evenly sampled, first and last kept) keeps its length.
export interface Curves {
  byPhase: Partial<Record<TrialPhase, number[]>>;
  trials: number; // trials with at least one value
  points: number;
  maxStep: number;
  min: number;
  max: number;
}

export function curves(iv: IntermediateValues): Curves {
  const byPhase: Partial<Record<TrialPhase, number[]>> = {};
  let trials = 0;
  let points = 0;
  let maxStep = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const t of iv.trials) {
    const vals = t.values.filter((v) => Number.isFinite(v));
    if (vals.length === 0) continue;
    const reported = Math.max(vals.length, t.reported ?? 0);
    const stride = vals.length > 1 ? (reported - 1) / (vals.length - 1) : 1;
    const out = (byPhase[t.phase] ??= []);
    // a single report is drawn as a dot-length segment so it stays visible
    const single = vals.length === 1;
    out.push(single ? 2 : vals.length);
    vals.forEach((v, i) => {
      out.push(1 + i * stride, v);
      if (v < min) min = v;
      if (v > max) max = v;
    });
    if (single) out.push(1, vals[0]);
    trials++;
    points += vals.length;
    maxStep = Math.max(maxStep, reported);
  }
  return { byPhase, trials, points, maxStep, min, max };
}
