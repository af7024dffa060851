// Formatting in the browser's locale and time zone, and the phases the UI shows for Katib
// objects (derived from their conditions, as Katib's own UI and kubectl's columns do).
import type { Condition, Experiment, TrialPhase } from "./api/types";

const numberFormat = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 6 });
const sciFormat = new Intl.NumberFormat(undefined, {
  notation: "scientific",
  maximumSignificantDigits: 4,
});
const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

// A number (or a numeric string, as Katib stores metrics) for display: six significant
// digits, scientific notation for very large or very small magnitudes; "–" when absent and
// the string itself when it is not a number.
export function formatNumber(n: number | string | undefined | null): string {
  if (n === undefined || n === null || n === "") return "–";
  const v = typeof n === "number" ? n : Number(n);
  if (!Number.isFinite(v)) return typeof n === "string" ? n : String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return sciFormat.format(v);
  return numberFormat.format(v);
}

// A count (trials, reports) with grouping.
export function formatCount(n: number | undefined): string {
  return integerFormat.format(n ?? 0);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

// An RFC 3339 time in the browser's zone, e.g. "1 Dec 2026, 19:02:03"; "–" when absent.
export function formatTime(iso: string | undefined): string {
  const t = parseTime(iso);
  return t === undefined ? "–" : timeFormat.format(t);
}

// A duration: "850 ms", "4.2 s", "3 m 05 s", "2 h 07 m", "3 d 4 h".
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.floor(s)} s`;
  const totalS = Math.floor(s);
  const pad = (x: number) => String(x).padStart(2, "0");
  if (totalS < 3600) return `${Math.floor(totalS / 60)} m ${pad(totalS % 60)} s`;
  if (totalS < 86400) return `${Math.floor(totalS / 3600)} h ${pad(Math.floor(totalS / 60) % 60)} m`;
  return `${Math.floor(totalS / 86400)} d ${Math.floor(totalS / 3600) % 24} h`;
}

// The time between two RFC 3339 times (the second defaults to now).
export function durationBetween(start: string | undefined, end?: string, now = Date.now()): number | undefined {
  const a = parseTime(start);
  if (a === undefined) return undefined;
  const b = end ? parseTime(end) : now;
  return b === undefined ? undefined : b - a;
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });

// "5 min. ago", "yesterday" (in the browser's language).
export function formatRelative(iso: string | undefined, now = Date.now()): string {
  const t = parseTime(iso);
  if (t === undefined) return "–";
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return relativeFormat.format(s, "second");
  if (a < 3600) return relativeFormat.format(Math.round(s / 60), "minute");
  if (a < 86400) return relativeFormat.format(Math.round(s / 3600), "hour");
  if (a < 86400 * 30) return relativeFormat.format(Math.round(s / 86400), "day");
  if (a < 86400 * 365) return relativeFormat.format(Math.round(s / (86400 * 30)), "month");
  return relativeFormat.format(Math.round(s / (86400 * 365)), "year");
}

// kubectl's AGE column: "42s", "5m", "3h", "2d".
export function formatAge(iso: string | undefined, now = Date.now()): string {
  const t = parseTime(iso);
  if (t === undefined) return "–";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export type ExperimentPhase = "Created" | "Running" | "Restarting" | "Succeeded" | "Failed" | "Unknown";

function isTrue(conditions: Condition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === "True");
}

// An experiment's phase: the terminal condition when one holds, else Running/Restarting/Created.
export function conditionsPhase(conditions: Condition[] | undefined): ExperimentPhase {
  for (const t of ["Failed", "Succeeded", "Restarting", "Running", "Created"] as const) {
    if (isTrue(conditions, t)) return t;
  }
  return "Unknown";
}

export function experimentPhase(exp: Pick<Experiment, "status"> | undefined): ExperimentPhase {
  return conditionsPhase(exp?.status?.conditions);
}

// A trial's phase (Katib's order: a trial that was early stopped or whose metrics were
// unavailable also reports Succeeded/Failed conditions alongside).
export function trialPhase(conditions: Condition[] | undefined): TrialPhase {
  for (const t of ["EarlyStopped", "MetricsUnavailable", "Killed", "Failed", "Succeeded", "Running"] as const) {
    if (isTrue(conditions, t)) return t;
  }
  return "Created";
}

// The latest condition that holds (for a reason/message next to a badge).
export function currentCondition(conditions: Condition[] | undefined): Condition | undefined {
  const held = (conditions ?? []).filter((c) => c.status === "True");
  return held[held.length - 1];
}

export type Tone = "ok" | "bad" | "warn" | "run" | "idle";

export function phaseTone(phase: string): Tone {
  switch (phase) {
    case "Succeeded":
      return "ok";
    case "Failed":
    case "MetricsUnavailable":
      return "bad";
    case "Killed":
    case "EarlyStopped":
    case "Restarting":
      return "warn";
    case "Running":
      return "run";
    default:
      return "idle";
  }
}
