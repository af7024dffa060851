// The trials table's rows: filtered by status, parameter ranges and objective range, then
// sorted by one column. Pure; the table memoises it on (model, filter, sort).
import type { TrialPhase } from "../api/types";
import type { Model, Row } from "./trialTable";

export type ColumnKey =
  | { kind: "name" }
  | { kind: "status" }
  | { kind: "objective" }
  | { kind: "metric"; name: string }
  | { kind: "param"; index: number }
  | { kind: "start" }
  | { kind: "duration" };

export interface Sort {
  column: string; // columnId()
  desc: boolean;
}

export interface Range {
  min?: number;
  max?: number;
}

export interface Filter {
  phases: Set<TrialPhase> | null; // null: every phase
  objective: Range;
  // per parameter index: a numeric range, or the set of category values allowed
  params: Record<number, Range | Set<string>>;
}

export const emptyFilter = (): Filter => ({ phases: null, objective: {}, params: {} });

export function columnId(c: ColumnKey): string {
  switch (c.kind) {
    case "metric":
      return `metric:${c.name}`;
    case "param":
      return `param:${c.index}`;
    default:
      return c.kind;
  }
}

export function columns(model: Model): ColumnKey[] {
  return [
    { kind: "name" },
    { kind: "status" },
    { kind: "objective" },
    ...model.metrics
      .filter((m) => m !== model.objectiveMetric)
      .map((name) => ({ kind: "metric" as const, name })),
    ...model.params.map((_, index) => ({ kind: "param" as const, index })),
    { kind: "start" },
    { kind: "duration" },
  ];
}

function inRange(v: number | undefined, r: Range): boolean {
  if (r.min === undefined && r.max === undefined) return true;
  if (v === undefined || !Number.isFinite(v)) return false;
  return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
}

export function isFilterActive(f: Filter): boolean {
  return (
    f.phases !== null ||
    f.objective.min !== undefined ||
    f.objective.max !== undefined ||
    Object.keys(f.params).length > 0
  );
}

export function filterRows(model: Model, f: Filter): Row[] {
  if (!isFilterActive(f)) return model.rows;
  const paramTests = Object.entries(f.params).map(([k, cond]) => {
    const i = Number(k);
    const p = model.params[i];
    if (cond instanceof Set) {
      return (r: Row) => cond.has(r.assignments[p.name] ?? "");
    }
    return (r: Row) => inRange(r.values[i], cond);
  });
  return model.rows.filter(
    (r) =>
      (f.phases === null || f.phases.has(r.phase)) &&
      inRange(r.objective, f.objective) &&
      paramTests.every((t) => t(r)),
  );
}

// A sort key per row: numbers compare as numbers, strings as strings; absent values last.
function key(model: Model, column: string, now: number): (r: Row) => number | string | undefined {
  if (column === "name") return (r) => r.number;
  if (column === "status") return (r) => r.phase;
  if (column === "objective") return (r) => r.objective;
  if (column === "start") return (r) => r.start;
  if (column === "duration")
    return (r) => (r.start === undefined ? undefined : (r.end ?? now) - r.start);
  if (column.startsWith("metric:")) {
    const m = column.slice(7);
    return (r) => r.metrics[m]?.latest;
  }
  if (column.startsWith("param:")) {
    const i = Number(column.slice(6));
    const p = model.params[i];
    if (p && p.kind === "category") return (r) => r.assignments[p.name];
    return (r) => (Number.isFinite(r.values[i]) ? r.values[i] : undefined);
  }
  return (r) => r.number;
}

export function sortRows(model: Model, rows: Row[], sort: Sort | null, now = Date.now()): Row[] {
  if (!sort) return rows;
  const k = key(model, sort.column, now);
  const keyed = rows.map((r) => ({ r, k: k(r) }));
  const dir = sort.desc ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.k === undefined || (typeof a.k === "number" && Number.isNaN(a.k)))
      return b.k === undefined ? a.r.number - b.r.number : 1;
    if (b.k === undefined || (typeof b.k === "number" && Number.isNaN(b.k))) return -1;
    if (a.k < b.k) return -dir;
    if (a.k > b.k) return dir;
    return a.r.number - b.r.number;
  });
  return keyed.map((x) => x.r);
}
