// The experiments list's rows: what each column shows, derived from an Experiment, and the
// search and sort over them (pure, so they are tested without a browser).
import type { Experiment, ObjectiveSpec, OptimalTrial } from "../../api/types";
import type { TrialCounts } from "../../components/ProgressBar";
import { experimentPhase, type ExperimentPhase } from "../../format";

export interface ExperimentRow {
  key: string; // namespace/name
  namespace: string;
  name: string;
  phase: ExperimentPhase;
  algorithm: string;
  metric: string;
  objectiveType: string;
  best?: number;
  bestTrial?: string;
  counts: TrialCounts;
  created?: string;
  finished: boolean;
  experiment: Experiment;
}

// The objective value of the best trial, read with the objective metric's strategy (Katib's
// default: min for minimize, max for maximize).
export function bestValue(objective: ObjectiveSpec | undefined, best: OptimalTrial | undefined): number | undefined {
  if (!objective || !best?.observation?.metrics) return undefined;
  const m = best.observation.metrics.find((x) => x.name === objective.objectiveMetricName);
  if (!m) return undefined;
  const strategy =
    objective.metricStrategies?.find((s) => s.name === objective.objectiveMetricName)?.value ??
    (objective.type === "maximize" ? "max" : "min");
  const raw = strategy === "latest" ? m.latest : strategy === "max" ? m.max : m.min;
  const v = Number(raw ?? m.latest);
  return raw === undefined && m.latest === undefined ? undefined : Number.isFinite(v) ? v : undefined;
}

export function toRow(e: Experiment): ExperimentRow {
  const s = e.status ?? {};
  const phase = experimentPhase(e);
  return {
    key: `${e.metadata.namespace}/${e.metadata.name}`,
    namespace: e.metadata.namespace,
    name: e.metadata.name,
    phase,
    algorithm: e.spec.algorithm?.algorithmName ?? "",
    metric: e.spec.objective?.objectiveMetricName ?? "",
    objectiveType: e.spec.objective?.type ?? "",
    best: bestValue(e.spec.objective, s.currentOptimalTrial),
    bestTrial: s.currentOptimalTrial?.bestTrialName || undefined,
    counts: {
      succeeded: s.trialsSucceeded ?? 0,
      running: (s.trialsRunning ?? 0) + (s.trialsPending ?? 0),
      failed: s.trialsFailed ?? 0,
      other: (s.trialsKilled ?? 0) + (s.trialsEarlyStopped ?? 0) + (s.trialMetricsUnavailable ?? 0),
      total: s.trials ?? 0,
      max: e.spec.maxTrialCount,
    },
    created: e.metadata.creationTimestamp,
    finished: phase === "Succeeded" || phase === "Failed",
    experiment: e,
  };
}

// Rows whose name or algorithm contains every word of `q` (case-insensitive).
export function filterRows(rows: ExperimentRow[], q: string): ExperimentRow[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const hay = `${r.name} ${r.algorithm}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export const SORT_KEYS = ["namespace", "name", "status", "algorithm", "best", "trials", "age"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey;
  desc: boolean;
}

// The URL's `sort` parameter: a column, "-" first for descending. By default ascending age:
// the newest experiment first.
export const DEFAULT_SORT: Sort = { key: "age", desc: false };

export function parseSort(s: string | null): Sort {
  if (!s) return DEFAULT_SORT;
  const key = s.replace(/^-/, "") as SortKey;
  return SORT_KEYS.includes(key) ? { key, desc: s.startsWith("-") } : DEFAULT_SORT;
}

export function formatSort(s: Sort): string {
  return `${s.desc ? "-" : ""}${s.key}`;
}

// A click on a column head: the same column flips direction; another starts ascending.
export function toggleSort(current: Sort, key: SortKey): Sort {
  return current.key === key ? { key, desc: !current.desc } : { key, desc: false };
}

function compareBy(key: SortKey, a: ExperimentRow, b: ExperimentRow): number {
  switch (key) {
    case "namespace":
      return a.namespace.localeCompare(b.namespace);
    case "name":
      return a.name.localeCompare(b.name);
    case "status":
      return a.phase.localeCompare(b.phase);
    case "algorithm":
      return a.algorithm.localeCompare(b.algorithm);
    case "best":
      return (a.best ?? NaN) - (b.best ?? NaN);
    case "trials":
      return a.counts.total - b.counts.total;
    case "age":
      // Age grows as the creation time gets older: ascending age = newest first.
      return (Date.parse(b.created ?? "") || 0) - (Date.parse(a.created ?? "") || 0);
  }
}

// Sorted rows; rows without a value (no best yet) go last either way; ties by namespace/name.
export function sortRows(rows: ExperimentRow[], sort: Sort): ExperimentRow[] {
  const missing = (r: ExperimentRow) => sort.key === "best" && r.best === undefined;
  return [...rows].sort((a, b) => {
    const ma = missing(a);
    const mb = missing(b);
    if (ma !== mb) return ma ? 1 : -1;
    const c = ma ? 0 : compareBy(sort.key, a, b);
    if (c !== 0 && !Number.isNaN(c)) return sort.desc ? -c : c;
    return a.key.localeCompare(b.key);
  });
}
