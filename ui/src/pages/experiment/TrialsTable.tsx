// The trials table: every trial (10 000 rows virtualised, fixed row height, sticky header),
// sortable by any column, filterable by status, parameter ranges and objective range, the best
// trial highlighted. Keyboard: Tab to the header's sort buttons or the body; in the body the
// arrow keys, Page Up/Down, Home and End move the focused row and Enter opens its trial.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import StatusBadge from "../../components/StatusBadge";
import { formatDuration, formatNumber, formatTime } from "../../format";
import {
  columnId,
  columns,
  emptyFilter,
  filterRows,
  isFilterActive,
  sortRows,
  type ColumnKey,
  type Filter,
  type Sort,
} from "../../transforms/tableView";
import type { Model, Row } from "../../transforms/trialTable";
import FilterPanel from "./FilterPanel";
import { trialPath } from "./paths";

const ROW_HEIGHT = 32;

function label(model: Model, c: ColumnKey): string {
  switch (c.kind) {
    case "name":
      return "Trial";
    case "status":
      return "Status";
    case "objective":
      return `${model.objectiveMetric} (${model.direction === "maximize" ? "max" : "min"})`;
    case "metric":
      return c.name;
    case "param":
      return model.params[c.index].name;
    case "start":
      return "Started";
    case "duration":
      return "Duration";
  }
}

function width(c: ColumnKey): number {
  switch (c.kind) {
    case "name":
      return 240;
    case "status":
      return 150;
    case "start":
      return 190;
    case "duration":
      return 100;
    default:
      return 120;
  }
}

const numeric = (c: ColumnKey) => c.kind !== "name" && c.kind !== "status" && c.kind !== "start";

function cell(model: Model, c: ColumnKey, r: Row, ns: string, exp: string, now: number) {
  switch (c.kind) {
    case "name":
      return (
        <Link to={trialPath(ns, exp, r.name)} tabIndex={-1}>
          {r.name}
        </Link>
      );
    case "status":
      return <StatusBadge phase={r.phase} kind="trial" />;
    case "objective":
      return formatNumber(r.objective);
    case "metric":
      return formatNumber(r.metrics[c.name]?.latest);
    case "param": {
      const p = model.params[c.index];
      const v = r.assignments[p.name];
      return p.kind === "category" ? (v ?? "–") : formatNumber(v);
    }
    case "start":
      return formatTime(r.startTime);
    case "duration":
      return formatDuration(r.start === undefined ? undefined : (r.end ?? now) - r.start);
  }
}

export default function TrialsTable({
  model,
  ns,
  experiment,
}: {
  model: Model;
  ns: string;
  experiment: string;
}) {
  const [sort, setSort] = useState<Sort | null>(null);
  const [filter, setFilter] = useState<Filter>(emptyFilter);
  const [focused, setFocused] = useState(0);
  const navigate = useNavigate();
  const cols = useMemo(() => columns(model), [model]);
  const template = cols.map((c) => `${width(c)}px`).join(" ");
  const totalWidth = cols.reduce((s, c) => s + width(c), 0);
  const now = useNow(model.rows.some((r) => r.phase === "Running") ? 5000 : 0);
  const filtered = useMemo(() => filterRows(model, filter), [model, filter]);
  const rows = useMemo(() => sortRows(model, filtered, sort, now), [model, filtered, sort, now]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    scrollPaddingStart: ROW_HEIGHT, // the sticky header covers the first row's height
  });

  useEffect(() => {
    if (focused >= rows.length && rows.length > 0) setFocused(rows.length - 1);
  }, [rows.length, focused]);

  const move = (to: number) => {
    if (rows.length === 0) return;
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setFocused(i);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 320) / ROW_HEIGHT) - 2);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(focused + 1),
      ArrowUp: () => move(focused - 1),
      PageDown: () => move(focused + page),
      PageUp: () => move(focused - page),
      Home: () => move(0),
      End: () => move(rows.length - 1),
      Enter: () => rows[focused] && navigate(trialPath(ns, experiment, rows[focused].name)),
    };
    const k = keys[e.key];
    if (k && e.target === e.currentTarget) {
      e.preventDefault();
      k();
    }
  };

  const toggleSort = (id: string) =>
    setSort((s) =>
      s?.column !== id ? { column: id, desc: false } : !s.desc ? { column: id, desc: true } : null,
    );

  const items = virtualizer.getVirtualItems();
  return (
    <div className="trials">
      <FilterPanel model={model} filter={filter} onChange={setFilter} />
      <p className="row-count" data-testid="row-count" aria-live="polite">
        {isFilterActive(filter)
          ? `${rows.length.toLocaleString()} of ${model.rows.length.toLocaleString()} trials`
          : `${rows.length.toLocaleString()} trials`}
        {model.bestTrialName && (
          <span className="muted"> · ★ best trial {model.bestTrialName}</span>
        )}
      </p>
      <div
        className="trials-scroll"
        ref={scrollRef}
        data-testid="trials-table"
        role="grid"
        aria-rowcount={rows.length + 1}
        aria-colcount={cols.length}
        aria-label="Trials"
        tabIndex={0}
        aria-activedescendant={rows[focused] ? `trial-row-${focused}` : undefined}
        onKeyDown={onKeyDown}
      >
        <div style={{ width: totalWidth, minWidth: "100%" }}>
          <div
            className="trials-head"
            role="row"
            aria-rowindex={1}
            style={{ gridTemplateColumns: template }}
          >
            {cols.map((c) => {
              const id = columnId(c);
              const dir = sort?.column === id ? (sort.desc ? "descending" : "ascending") : "none";
              return (
                <div
                  key={id}
                  role="columnheader"
                  aria-sort={dir}
                  className={numeric(c) ? "num" : undefined}
                >
                  <button
                    type="button"
                    className="sort"
                    onClick={() => toggleSort(id)}
                    title={`Sort by ${label(model, c)}`}
                  >
                    {label(model, c)}
                    <span aria-hidden="true">
                      {dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : ""}
                    </span>
                  </button>
                </div>
              );
            })}
          </div>
          {rows.length === 0 ? (
            <div className="empty">
              {model.rows.length === 0 ? "No trials yet." : "No trial matches the filter."}
            </div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {items.map((v) => {
                const r = rows[v.index];
                const best = r.name === model.bestTrialName;
                const cls = [
                  "trial-row",
                  best ? "best" : "",
                  v.index === focused ? "focused" : "",
                ].join(" ");
                return (
                  <div
                    key={r.name}
                    id={`trial-row-${v.index}`}
                    role="row"
                    aria-rowindex={v.index + 2}
                    aria-selected={v.index === focused}
                    data-testid="trial-row"
                    className={cls}
                    style={{
                      gridTemplateColumns: template,
                      transform: `translateY(${v.start}px)`,
                      height: ROW_HEIGHT,
                    }}
                    onClick={() => setFocused(v.index)}
                    onDoubleClick={() => navigate(trialPath(ns, experiment, r.name))}
                  >
                    {cols.map((c) => (
                      <div
                        key={columnId(c)}
                        role="gridcell"
                        className={numeric(c) ? "num" : undefined}
                      >
                        {c.kind === "name" && best && (
                          <span className="best-mark" title="Best trial" aria-label="best trial">
                            ★{" "}
                          </span>
                        )}
                        {cell(model, c, r, ns, experiment, now)}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

// The current time, refreshed every `periodMs` (0: once), for running trials' durations.
function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!periodMs) return;
    const id = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(id);
  }, [periodMs]);
  return now;
}
