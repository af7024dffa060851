// Parallel coordinates: parameters → other metrics → objective, one line per trial with an
// objective, coloured by the objective (the good end by the objective's type). Axes can be
// hidden (checkboxes) and reordered (◀ ▶ buttons, or drag a chip onto another).
import { useEffect, useMemo, useState } from "react";
import { formatNumber } from "../format";
import { arrangeAxes, colorRange, moveAxis, parallel, parallelAxes } from "../transforms/parallel";
import type { Model } from "../transforms/trialTable";
import { objectiveVisualMap } from "./colors";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";

export default function ParallelPlot({ model, onDrawn }: { model: Model; onDrawn?: () => void }) {
  const all = useMemo(() => parallelAxes(model), [model]);
  const [order, setOrder] = useState<string[]>([]);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const [dragged, setDragged] = useState<string | null>(null);
  const arranged = useMemo(() => arrangeAxes(all, order, new Set()), [all, order]);
  const fullOrder = arranged.map((a) => a.id);
  const visible = useMemo(() => arranged.filter((a) => !hidden.has(a.id)), [arranged, hidden]);
  const p = useMemo(() => parallel(model, visible), [model, visible]);
  const option = useMemo(() => {
    const c = colorRange(model, p.data, p.colorDim);
    return {
      animation: false,
      parallel: {
        left: 48,
        right: 140,
        top: 48,
        bottom: 28,
        parallelAxisDefault: { nameGap: 14, nameTextStyle: { fontSize: 12 } },
      },
      parallelAxis: p.axes.map((a, dim) => ({
        dim,
        name: a.label,
        type: a.kind === "category" ? "category" : a.kind === "log" ? "log" : "value",
        data: a.kind === "category" ? a.categories : undefined,
        min: a.kind === "category" ? undefined : a.min,
        max: a.kind === "category" ? undefined : a.max,
        scale: true,
        axisLabel: {
          formatter: a.kind === "category" ? undefined : (v: number) => formatNumber(v),
        },
      })),
      visualMap: { ...objectiveVisualMap(c.min, c.max, c.goodIsHigh), dimension: p.colorDim },
      series: [
        {
          type: "parallel",
          data: p.data,
          lineStyle: { width: 1, opacity: p.data.length > 2000 ? 0.25 : 0.5 },
          // 10 000 lines drawn in chunks of 1 000 frames apart, so input is answered between
          progressive: 1000,
          progressiveThreshold: 3000,
          realtime: false,
          emphasis: { disabled: true },
        },
      ],
    };
  }, [model, p]);

  const empty = model.rows.every((r) => r.objective === undefined)
    ? "No trial has succeeded yet."
    : p.axes.length < 2
      ? "Show at least two axes."
      : p.data.length === 0
        ? "No trial has a value on every shown axis."
        : undefined;
  useEffect(() => {
    if (empty) onDrawn?.();
  }, [empty, onDrawn]);
  const controls = (
    <ul className="axis-chips" aria-label="Axes: show, hide and reorder">
      {arranged.map((a, i) => (
        <li
          key={a.id}
          className={`axis-chip${hidden.has(a.id) ? " off" : ""}${dragged === a.id ? " dragging" : ""}`}
          draggable
          onDragStart={(e) => {
            setDragged(a.id);
            e.dataTransfer.effectAllowed = "move";
          }}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            if (!dragged || dragged === a.id) return;
            const next = fullOrder.filter((id) => id !== dragged);
            next.splice(next.indexOf(a.id) + (fullOrder.indexOf(dragged) < i ? 1 : 0), 0, dragged);
            setOrder(next);
            setDragged(null);
          }}
          onDragEnd={() => setDragged(null)}
        >
          <button
            type="button"
            className="small"
            aria-label={`Move ${a.label} left`}
            disabled={i === 0}
            onClick={() => setOrder(moveAxis(fullOrder, a.id, -1))}
          >
            ◀
          </button>
          <label>
            <input
              type="checkbox"
              checked={!hidden.has(a.id)}
              onChange={(e) => {
                const next = new Set(hidden);
                if (e.target.checked) next.delete(a.id);
                else next.add(a.id);
                setHidden(next);
              }}
            />{" "}
            {a.label}
          </label>
          <button
            type="button"
            className="small"
            aria-label={`Move ${a.label} right`}
            disabled={i === arranged.length - 1}
            onClick={() => setOrder(moveAxis(fullOrder, a.id, 1))}
          >
            ▶
          </button>
        </li>
      ))}
    </ul>
  );
  return (
    <PlotFrame
      testid="plot-parallel"
      count={p.data.length}
      eager
      title="Parallel coordinates"
      controls={controls}
      empty={empty}
      note={`${p.data.length.toLocaleString()} trials${p.omitted ? `; ${p.omitted.toLocaleString()} without a value on a shown axis left out` : ""}. Drag on an axis to select a range.`}
    >
      {() => <EChart option={option} height={400} onDrawn={onDrawn} />}
    </PlotFrame>
  );
}
