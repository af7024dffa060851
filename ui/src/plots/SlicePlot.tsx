// Slice: the objective against one chosen parameter (log axis for log-uniform parameters,
// categories for categorical ones).
import { useMemo, useState } from "react";
import { formatNumber } from "../format";
import { slice } from "../transforms/slice";
import type { Model } from "../transforms/trialTable";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";

export function ParamSelect({
  model,
  value,
  onChange,
  label,
}: {
  model: Model;
  value: number;
  onChange: (i: number) => void;
  label: string;
}) {
  return (
    <label>
      {label}{" "}
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {model.params.map((p, i) => (
          <option key={p.name} value={i}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function axisFor(kind: string, categories: string[], name: string) {
  if (kind === "category") return { type: "category", data: categories, name };
  return {
    type: kind === "log" ? "log" : "value",
    scale: true,
    name,
    axisLabel: { formatter: (v: number) => formatNumber(v) },
  };
}

export default function SlicePlot({ model }: { model: Model }) {
  const [pi, setPi] = useState(0);
  const idx = Math.min(pi, Math.max(0, model.params.length - 1));
  const s = useMemo(() => (model.params.length ? slice(model, idx) : null), [model, idx]);
  const option = useMemo(() => {
    if (!s) return {};
    return {
      animation: false,
      grid: { left: 64, right: 24, top: 36, bottom: 40 },
      tooltip: {
        trigger: "item",
        formatter: (p: { data: number[] }) =>
          `trial #${p.data[2]}<br/>${s.param.name}: ${s.param.kind === "category" ? s.param.categories[p.data[0]] : formatNumber(p.data[0])}<br/>${model.objectiveMetric}: ${formatNumber(p.data[1])}`,
      },
      xAxis: {
        ...axisFor(s.param.kind, s.param.categories, s.param.name),
        nameLocation: "middle",
        nameGap: 26,
      },
      yAxis: { type: "value", scale: true, name: model.objectiveMetric },
      series: [
        {
          type: "scatter",
          data: s.points,
          symbolSize: 5,
          large: true,
          largeThreshold: 2000,
          itemStyle: { opacity: 0.6 },
        },
      ],
    };
  }, [s, model]);
  return (
    <PlotFrame
      testid="plot-slice"
      title="Slice"
      controls={
        model.params.length > 0 && (
          <ParamSelect model={model} value={idx} onChange={setPi} label="parameter" />
        )
      }
      empty={
        !s
          ? "The experiment has no parameters."
          : s.points.length === 0
            ? "No trial has succeeded yet."
            : undefined
      }
    >
      {() => <EChart option={option} />}
    </PlotFrame>
  );
}
