// Slice and contour plots: the objective against one or two chosen parameters.
import { hasObjective, type Model, type ParamInfo } from "./trialTable";

export interface Slice {
  param: ParamInfo;
  points: [number, number, number][]; // [param value (category index), objective, trial number]
}

export function slice(model: Model, paramIndex: number): Slice {
  const points: [number, number, number][] = [];
  for (const r of model.rows) {
    const v = r.values[paramIndex];
    if (!hasObjective(r) || !Number.isFinite(v)) continue;
    points.push([v, r.objective, r.number]);
  }
  return { param: model.params[paramIndex], points };
}

export interface ContourAxis {
  param: ParamInfo;
  cells: number; // grid cells along this axis
  // numeric axes: the range the cells span (in log10 for log axes); cell i covers
  // [lo + i*step, lo + (i+1)*step]. Category axes: one cell per category.
  lo: number;
  hi: number;
  centers: number[]; // each cell's centre in the parameter's own units
}

export interface Contour {
  x: ContourAxis;
  y: ContourAxis;
  // [xi, yi, value] per grid cell, interpolated from the trials
  grid: [number, number, number][];
  // the trials: [x, y, objective] in axis units (category index on category axes)
  points: [number, number, number][];
  min: number;
  max: number;
}

function axis(p: ParamInfo, vals: number[], maxCells: number): ContourAxis {
  if (p.kind === "category") {
    return {
      param: p,
      cells: p.categories.length,
      lo: 0,
      hi: p.categories.length,
      centers: p.categories.map((_, i) => i),
    };
  }
  const log = p.kind === "log";
  const tr = (v: number) => (log ? Math.log10(v) : v);
  let lo = tr(Number(p.spec.feasibleSpace.min));
  let hi = tr(Number(p.spec.feasibleSpace.max));
  for (const v of vals) {
    const t = tr(v);
    if (!(t >= lo)) lo = Number.isFinite(lo) ? Math.min(lo, t) : t;
    if (!(t <= hi)) hi = Number.isFinite(hi) ? Math.max(hi, t) : t;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  let cells = maxCells;
  // an int parameter with few values gets one cell per value
  if (p.spec.parameterType === "int" && !log && hi - lo + 1 <= maxCells) {
    lo -= 0.5;
    hi += 0.5;
    cells = Math.round(hi - lo);
  }
  const step = (hi - lo) / cells;
  const centers = Array.from({ length: cells }, (_, i) => {
    const c = lo + (i + 0.5) * step;
    return log ? 10 ** c : c;
  });
  return { param: p, cells, lo, hi, centers };
}

// Interpolates the objective on a grid (at most maxCells per numeric axis) by inverse-distance
// weighting (power 2) in coordinates normalised to [0, 1] per axis (log10 for log params); a
// trial in a cell's centre gives that cell its value.
export function contour(model: Model, xi: number, yi: number, maxCells = 50): Contour | null {
  const pts: [number, number, number][] = [];
  for (const r of model.rows) {
    const a = r.values[xi];
    const b = r.values[yi];
    if (hasObjective(r) && Number.isFinite(a) && Number.isFinite(b)) pts.push([a, b, r.objective]);
  }
  if (pts.length === 0) return null;
  const x = axis(
    model.params[xi],
    pts.map((p) => p[0]),
    maxCells,
  );
  const y = axis(
    model.params[yi],
    pts.map((p) => p[1]),
    maxCells,
  );
  const norm = (ax: ContourAxis, v: number) => {
    if (ax.param.kind === "category") return (v + 0.5) / ax.cells;
    const t = ax.param.kind === "log" ? Math.log10(v) : v;
    return (t - ax.lo) / (ax.hi - ax.lo);
  };
  const n = pts.length;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const pv = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  pts.forEach((p, i) => {
    px[i] = norm(x, p[0]);
    py[i] = norm(y, p[1]);
    pv[i] = p[2];
    min = Math.min(min, p[2]);
    max = Math.max(max, p[2]);
  });
  const grid: [number, number, number][] = [];
  for (let i = 0; i < x.cells; i++) {
    const cx = (i + 0.5) / x.cells;
    for (let j = 0; j < y.cells; j++) {
      const cy = (j + 0.5) / y.cells;
      let wsum = 0;
      let vsum = 0;
      let exact = NaN;
      for (let k = 0; k < n; k++) {
        const dx = px[k] - cx;
        const dy = py[k] - cy;
        const d2 = dx * dx + dy * dy;
        if (d2 < 1e-12) {
          exact = pv[k];
          break;
        }
        const w = 1 / d2;
        wsum += w;
        vsum += w * pv[k];
      }
      grid.push([i, j, Number.isNaN(exact) ? vsum / wsum : exact]);
    }
  }
  return { x, y, grid, points: pts, min, max };
}
