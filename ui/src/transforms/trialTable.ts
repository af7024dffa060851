// The experiment page's trial data: the server's TrialTable, merged with the `since` updates
// the page fetches as trials change, and a model of it (rows in creation order, each with its
// trial number) that every view and plot reads.
import type { ParameterSpec, TrialPhase, TrialRow, TrialTable } from "../api/types";

// Applies an update to the table the page holds. A complete table replaces it; a partial
// one (`since`) replaces the rows of the trials it carries, appends new ones and drops the
// deleted ones; the header (objective, metrics, parameters, best trial, resourceVersion)
// comes from the update. Rows keep their place, so a sorted view does not jump.
export function mergeTrialTable(prev: TrialTable | undefined, update: TrialTable): TrialTable {
  if (!prev || update.complete) return update;
  const deleted = new Set(update.deleted ?? []);
  const changed = new Map<string, TrialRow>();
  for (const row of update.trials) changed.set(row.name, row);
  const trials: TrialRow[] = [];
  for (const row of prev.trials) {
    if (deleted.has(row.name)) continue;
    const next = changed.get(row.name);
    if (next) {
      trials.push(next);
      changed.delete(row.name);
    } else {
      trials.push(row);
    }
  }
  for (const row of changed.values()) {
    if (!deleted.has(row.name)) trials.push(row);
  }
  return { ...update, complete: true, deleted: undefined, trials };
}

export type ParamKind = "number" | "log" | "category";

export interface ParamInfo {
  name: string;
  kind: ParamKind;
  // category values in the spec's order (values seen that the spec lacks come after them)
  categories: string[];
  spec: ParameterSpec;
}

export interface Row extends TrialRow {
  number: number; // 1-based, in creation order
  start?: number; // epoch ms
  end?: number;
  created?: number;
  // parameter values as numbers (category index for categorical ones; NaN when absent)
  values: number[];
}

export interface Model {
  rows: Row[]; // creation order
  params: ParamInfo[];
  metrics: string[]; // objective first
  objectiveMetric: string;
  direction: "minimize" | "maximize";
  goal?: number;
  bestTrialName?: string;
  resourceVersion: string;
}

export function paramKind(p: ParameterSpec): ParamKind {
  if (p.parameterType === "categorical") return "category";
  if (p.parameterType === "discrete") {
    const list = p.feasibleSpace.list ?? [];
    if (list.some((v) => !Number.isFinite(Number(v)))) return "category";
  }
  const d = p.feasibleSpace.distribution ?? "";
  return d === "logUniform" || d === "logNormal" ? "log" : "number";
}

function time(s?: string): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

// Builds the model the views read. Memoise it on the table (it walks every row once).
export function buildModel(table: TrialTable): Model {
  const params: ParamInfo[] = table.parameters.map((p) => ({
    name: p.name,
    kind: paramKind(p),
    categories: paramKind(p) === "category" ? [...(p.feasibleSpace.list ?? [])] : [],
    spec: p,
  }));
  const catIndex = params.map((p) => new Map(p.categories.map((c, i) => [c, i])));
  const order = table.trials.map((t, i) => ({ t, i, c: time(t.createdAt) ?? Infinity }));
  order.sort((a, b) => a.c - b.c || a.i - b.i);
  const rows: Row[] = order.map(({ t }, i) => {
    const values = params.map((p, k) => {
      const v = t.assignments[p.name];
      if (v === undefined) return NaN;
      if (p.kind !== "category") return Number(v);
      let idx = catIndex[k].get(v);
      if (idx === undefined) {
        idx = p.categories.length;
        p.categories.push(v);
        catIndex[k].set(v, idx);
      }
      return idx;
    });
    return {
      ...t,
      number: i + 1,
      created: time(t.createdAt),
      start: time(t.startTime),
      end: time(t.completionTime),
      values,
    };
  });
  return {
    rows,
    params,
    metrics: table.metrics,
    objectiveMetric: table.objective.metric,
    direction: table.objective.type === "maximize" ? "maximize" : "minimize",
    goal: table.objective.goal,
    bestTrialName: table.bestTrialName,
    resourceVersion: table.resourceVersion,
  };
}

export const PHASES: TrialPhase[] = [
  "Created",
  "Running",
  "Succeeded",
  "Failed",
  "Killed",
  "EarlyStopped",
  "MetricsUnavailable",
];

// Whether `a` is a better objective than `b` in this direction.
export function better(direction: "minimize" | "maximize", a: number, b: number): boolean {
  return direction === "maximize" ? a > b : a < b;
}

// Whether the row has finished with an objective value the plots may use.
export function hasObjective(r: TrialRow): r is TrialRow & { objective: number } {
  return typeof r.objective === "number" && Number.isFinite(r.objective);
}
