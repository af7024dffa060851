// Parallel coordinates: one axis per parameter, then the other metrics, then the objective
// (the user may hide axes and reorder them); one line per trial with an objective.
import { hasObjective, type Model, type ParamKind } from "./trialTable";

export interface AxisId {
  id: string; // "param:<i>" | "metric:<name>" | "objective"
  label: string;
}

export interface ParallelAxis extends AxisId {
  kind: ParamKind; // "number" | "log" | "category"
  categories: string[]; // for category axes: value index -> label
  min?: number;
  max?: number;
}

export interface Parallel {
  axes: ParallelAxis[]; // visible axes, in the user's order
  data: number[][]; // per trial: one value per visible axis (category index on category axes)
  rowIndex: number[]; // model.rows index of each line
  colorDim: number; // index of the objective among the visible axes' values (always the last column)
  omitted: number; // trials with an objective left out for lacking a value on a visible axis
}

// Every axis the plot can show, in the default order.
export function parallelAxes(model: Model): AxisId[] {
  return [
    ...model.params.map((p, i) => ({ id: `param:${i}`, label: p.name })),
    ...model.metrics
      .filter((m) => m !== model.objectiveMetric)
      .map((m) => ({ id: `metric:${m}`, label: m })),
    { id: "objective", label: model.objectiveMetric },
  ];
}

// Applies the user's order (ids first in their order, new axes appended) and hidden set.
export function arrangeAxes(all: AxisId[], order: string[], hidden: Set<string>): AxisId[] {
  const byId = new Map(all.map((a) => [a.id, a]));
  const out: AxisId[] = [];
  for (const id of order) {
    const a = byId.get(id);
    if (a) {
      out.push(a);
      byId.delete(id);
    }
  }
  out.push(...byId.values());
  return out.filter((a) => !hidden.has(a.id));
}

// Moves axis `id` one place left (-1) or right (+1) in `order` (the full order of all axes).
export function moveAxis(order: string[], id: string, delta: -1 | 1): string[] {
  const i = order.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= order.length) return order;
  const next = [...order];
  [next[i], next[j]] = [next[j], next[i]];
  return next;
}

export function parallel(model: Model, visible: AxisId[]): Parallel {
  const getters = visible.map((a): ((i: number) => number) => {
    if (a.id === "objective") return (i) => model.rows[i].objective ?? NaN;
    if (a.id.startsWith("param:")) {
      const k = Number(a.id.slice(6));
      return (i) => model.rows[i].values[k];
    }
    const m = a.id.slice(7);
    return (i) => model.rows[i].metrics[m]?.latest ?? NaN;
  });
  const axes: ParallelAxis[] = visible.map((a) => {
    if (a.id.startsWith("param:")) {
      const p = model.params[Number(a.id.slice(6))];
      const lo = Number(p.spec.feasibleSpace.min);
      const hi = Number(p.spec.feasibleSpace.max);
      return {
        ...a,
        kind: p.kind,
        categories: p.kind === "category" ? p.categories : [],
        min: p.kind !== "category" && Number.isFinite(lo) ? lo : undefined,
        max: p.kind !== "category" && Number.isFinite(hi) ? hi : undefined,
      };
    }
    return { ...a, kind: "number", categories: [] };
  });
  const data: number[][] = [];
  const rowIndex: number[] = [];
  let omitted = 0;
  const objGet = (i: number) => model.rows[i].objective ?? NaN;
  for (let i = 0; i < model.rows.length; i++) {
    if (!hasObjective(model.rows[i])) continue;
    const v = new Array<number>(getters.length + 1);
    let ok = true;
    for (let k = 0; k < getters.length; k++) {
      const x = getters[k](i);
      if (!Number.isFinite(x) || (axes[k].kind === "log" && x <= 0)) {
        ok = false;
        break;
      }
      v[k] = x;
    }
    if (!ok) {
      omitted++;
      continue;
    }
    v[getters.length] = objGet(i);
    data.push(v);
    rowIndex.push(i);
  }
  // widen a parameter's range to the values seen (a spec may have changed)
  axes.forEach((a, k) => {
    if (a.kind === "category" || a.min === undefined || a.max === undefined) return;
    for (const d of data) {
      if (d[k] < a.min) a.min = d[k];
      if (d[k] > a.max!) a.max = d[k];
    }
  });
  return { axes, data, rowIndex, colorDim: getters.length, omitted };
}

// The objective's colour scale: the best end is always drawn in the "good" colour, whatever
// the metric is called (minimize: low is good; maximize: high is good).
export function colorRange(
  model: Model,
  data: number[][],
  dim: number,
): { min: number; max: number; goodIsHigh: boolean } {
  let min = Infinity;
  let max = -Infinity;
  for (const d of data) {
    if (d[dim] < min) min = d[dim];
    if (d[dim] > max) max = d[dim];
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  return { min, max, goodIsHigh: model.direction === "maximize" };
}
