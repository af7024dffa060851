// Optimisation history: every trial's objective and the best-so-far line, by trial number or
// by completion time. Click a point to open its trial.
import { useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import { formatNumber } from "../format";
import { trialPath } from "../pages/experiment/paths";
import { history, type HistoryX } from "../transforms/history";
import type { Model } from "../transforms/trialTable";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";

export default function HistoryPlot({
  model,
  ns,
  experiment,
}: {
  model: Model;
  ns: string;
  experiment: string;
}) {
  const [x, setX] = useState<HistoryX>("number");
  const navigate = useNavigate();
  const h = useMemo(() => history(model, x), [model, x]);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 64, right: 44, top: 36, bottom: 64 },
      legend: { top: 0 },
      tooltip: {
        trigger: "item",
        formatter: (p: { seriesIndex: number; data: number[] }) => {
          if (p.seriesIndex !== 0) return `best so far: ${formatNumber(p.data[1])}`;
          const r = model.rows[p.data[2]];
          return `${r.name}<br/>trial #${r.number}<br/>${model.objectiveMetric}: ${formatNumber(p.data[1])}`;
        },
      },
      xAxis:
        x === "time"
          ? { type: "time", name: "Completed" }
          : { type: "value", name: "Trial", minInterval: 1, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", name: model.objectiveMetric, scale: true },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 14, bottom: 6 }],
      series: [
        {
          name: model.objectiveMetric,
          type: "scatter",
          data: h.points,
          symbolSize: 5,
          large: true,
          largeThreshold: 2000,
          itemStyle: { opacity: 0.75 },
          markLine:
            model.goal !== undefined
              ? {
                  silent: true,
                  symbol: "none",
                  lineStyle: { type: "dashed" },
                  label: { formatter: "goal" },
                  data: [{ yAxis: model.goal }],
                }
              : undefined,
        },
        {
          name: "best so far",
          type: "line",
          step: "end",
          data: h.best,
          showSymbol: false,
          lineStyle: { width: 2 },
          z: 3,
        },
      ],
    }),
    [h, model, x],
  );
  return (
    <PlotFrame
      testid="plot-history"
      title="Optimisation history"
      empty={h.points.length === 0 ? "No trial has reported its objective yet." : undefined}
      controls={
        <label>
          x axis{" "}
          <select value={x} onChange={(e) => setX(e.target.value as HistoryX)}>
            <option value="number">trial number</option>
            <option value="time">completion time</option>
          </select>
        </label>
      }
      note={`${h.points.length.toLocaleString()} trials; ${model.direction}, best ${formatNumber(h.best[h.best.length - 1]?.[1])}`}
    >
      {() => (
        <EChart
          option={option}
          onClick={(p) => {
            if (p.seriesIndex === 0)
              navigate(trialPath(ns, experiment, model.rows[(p.data as number[])[2]].name));
          }}
        />
      )}
    </PlotFrame>
  );
}
