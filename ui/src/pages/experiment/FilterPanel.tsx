// The trials table's filters: status checkboxes, the objective's range, and per parameter a
// min/max (numeric) or the set of values (categorical). Empty fields do not filter.
import { useState } from "react";
import type { TrialPhase } from "../../api/types";
import { isFilterActive, emptyFilter, type Filter, type Range } from "../../transforms/tableView";
import { PHASES, type Model } from "../../transforms/trialTable";

function num(s: string): number | undefined {
  if (s.trim() === "") return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function RangeInputs({
  label,
  range,
  onChange,
}: {
  label: string;
  range: Range;
  onChange: (r: Range) => void;
}) {
  const [lo, setLo] = useState(range.min === undefined ? "" : String(range.min));
  const [hi, setHi] = useState(range.max === undefined ? "" : String(range.max));
  return (
    <fieldset className="range">
      <legend>{label}</legend>
      <input
        type="text"
        inputMode="decimal"
        placeholder="min"
        aria-label={`${label} min`}
        value={lo}
        onChange={(e) => {
          setLo(e.target.value);
          onChange({ min: num(e.target.value), max: num(hi) });
        }}
      />
      <span aria-hidden="true">–</span>
      <input
        type="text"
        inputMode="decimal"
        placeholder="max"
        aria-label={`${label} max`}
        value={hi}
        onChange={(e) => {
          setHi(e.target.value);
          onChange({ min: num(lo), max: num(e.target.value) });
        }}
      />
    </fieldset>
  );
}

export default function FilterPanel({
  model,
  filter,
  onChange,
}: {
  model: Model;
  filter: Filter;
  onChange: (f: Filter) => void;
}) {
  const [resetKey, setResetKey] = useState(0);
  const present = new Set(model.rows.map((r) => r.phase));
  const phases = PHASES.filter((p) => present.has(p) || filter.phases?.has(p));
  const setPhase = (p: TrialPhase, on: boolean) => {
    const next = new Set(filter.phases ?? phases);
    if (on) next.add(p);
    else next.delete(p);
    onChange({ ...filter, phases: phases.every((x) => next.has(x)) ? null : next });
  };
  const setParam = (i: number, cond: Range | Set<string> | undefined) => {
    const params = { ...filter.params };
    if (
      cond === undefined ||
      (!(cond instanceof Set) && cond.min === undefined && cond.max === undefined)
    )
      delete params[i];
    else params[i] = cond;
    onChange({ ...filter, params });
  };
  return (
    <details className="filters">
      <summary>Filter{isFilterActive(filter) ? " (active)" : ""}</summary>
      <div className="filter-body" key={resetKey}>
        <fieldset className="phases">
          <legend>Status</legend>
          {phases.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                checked={filter.phases === null || filter.phases.has(p)}
                onChange={(e) => setPhase(p, e.target.checked)}
              />{" "}
              {p}
            </label>
          ))}
        </fieldset>
        <RangeInputs
          label={model.objectiveMetric}
          range={filter.objective}
          onChange={(r) => onChange({ ...filter, objective: r })}
        />
        {model.params.map((p, i) =>
          p.kind === "category" ? (
            <fieldset key={p.name} className="cats">
              <legend>{p.name}</legend>
              {p.categories.map((c) => {
                const cur = filter.params[i];
                const on = !(cur instanceof Set) || cur.has(c);
                return (
                  <label key={c}>
                    <input
                      type="checkbox"
                      checked={on}
                      onChange={(e) => {
                        const next = new Set(cur instanceof Set ? cur : p.categories);
                        if (e.target.checked) next.add(c);
                        else next.delete(c);
                        setParam(i, next.size === p.categories.length ? undefined : next);
                      }}
                    />{" "}
                    {c}
                  </label>
                );
              })}
            </fieldset>
          ) : (
            <RangeInputs
              key={p.name}
              label={p.name}
              range={(filter.params[i] as Range | undefined) ?? {}}
              onChange={(r) => setParam(i, r)}
            />
          ),
        )}
        {isFilterActive(filter) && (
          <button
            type="button"
            className="small"
            onClick={() => {
              onChange(emptyFilter());
              setResetKey((k) => k + 1);
            }}
          >
            Clear filters
          </button>
        )}
      </div>
    </details>
  );
}
