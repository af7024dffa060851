// Optimisation history: each trial's objective in creation order (or by completion time)
// and the best value found so far, which only ever improves in the objective's direction.
import { better, hasObjective, type Model } from "./trialTable";

export type HistoryX = "number" | "time";

export interface History {
  // [x, objective, row index in model.rows] per trial with an objective, in x order
  points: [number, number, number][];
  // the best-so-far line: [x, best] at each point (a step line)
  best: [number, number][];
  bestIndex: number; // row index of the best trial, -1 when none
}

export function history(model: Model, x: HistoryX): History {
  const pts: [number, number, number][] = [];
  model.rows.forEach((r, i) => {
    if (!hasObjective(r)) return;
    const xv = x === "number" ? r.number : r.end;
    if (xv === undefined) return;
    pts.push([xv, r.objective, i]);
  });
  if (x === "time") pts.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  const best: [number, number][] = [];
  let bestValue = NaN;
  let bestIndex = -1;
  for (const [xv, y, i] of pts) {
    if (bestIndex < 0 || better(model.direction, y, bestValue)) {
      bestValue = y;
      bestIndex = i;
    }
    best.push([xv, bestValue]);
  }
  return { points: pts, best, bestIndex };
}
