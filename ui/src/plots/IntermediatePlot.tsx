// Intermediate values: every trial's reported values of one metric, by report step, all on
// one chart: one `lines` series (large mode) per trial phase, so 10 000 curves are a handful
// of series drawn in one pass. Refetched (at most every 3 s) as trials change and as running
// trials report metrics (the event stream's Observation events).
import { useMemo, useState } from "react";
import { api } from "../api/client";
import { useChanges } from "../api/live";
import type { TrialPhase } from "../api/types";
import { formatNumber } from "../format";
import { curves } from "../transforms/timeline";
import type { Model } from "../transforms/trialTable";
import { PHASE_COLORS } from "./colors";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";
import { useLiveFetch } from "./useLiveFetch";

export default function IntermediatePlot({
  model,
  ns,
  experiment,
  version,
}: {
  model: Model;
  ns: string;
  experiment: string;
  version: number;
}) {
  const [metric, setMetric] = useState(model.objectiveMetric);
  const [reports, setReports] = useState(0);
  useChanges(
    (c) => c.kind === "Observation" && c.namespace === ns && c.experiment === experiment,
    () => setReports((n) => n + 1),
  );
  const iv = useLiveFetch(
    () => api.intermediate(ns, experiment, metric),
    `${ns}/${experiment}/${metric}`,
    version + reports,
    3000,
  );
  const c = useMemo(() => (iv.data ? curves(iv.data) : null), [iv.data]);
  const option = useMemo(() => {
    if (!c) return {};
    const pad = (c.max - c.min) * 0.04 || 1;
    const phases = Object.keys(c.byPhase) as TrialPhase[];
    return {
      animation: false,
      legend: { top: 0, data: phases },
      grid: { left: 64, right: 24, top: 36, bottom: 56 },
      xAxis: {
        type: "value",
        name: "report",
        min: 1,
        max: Math.max(2, c.maxStep),
        minInterval: 1,
        nameLocation: "middle",
        nameGap: 26,
      },
      yAxis: {
        type: "value",
        name: metric,
        min: c.min - pad,
        max: c.max + pad,
        axisLabel: { formatter: (v: number) => formatNumber(v) },
      },
      dataZoom: [
        { type: "inside", xAxisIndex: 0, filterMode: "none" },
        { type: "inside", yAxisIndex: 0, filterMode: "none" },
      ],
      series: phases.map((ph) => ({
        name: ph,
        type: "lines",
        coordinateSystem: "cartesian2d",
        polyline: true,
        large: true,
        largeThreshold: 200,
        data: c.byPhase[ph],
        lineStyle: { color: PHASE_COLORS[ph], width: 1, opacity: c.trials > 1000 ? 0.15 : 0.5 },
        itemStyle: { color: PHASE_COLORS[ph] },
        silent: true,
      })),
    };
  }, [c, metric]);
  const empty = iv.error
    ? iv.error.message
    : !c
      ? "Loading…"
      : c.trials === 0
        ? `No trial has reported ${metric} yet.`
        : undefined;
  return (
    <PlotFrame
      testid="plot-intermediate"
      title="Intermediate values"
      controls={
        model.metrics.length > 1 && (
          <label>
            metric{" "}
            <select value={metric} onChange={(e) => setMetric(e.target.value)}>
              {model.metrics.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        )
      }
      empty={empty}
      note={c && `${c.trials.toLocaleString()} trials, ${c.points.toLocaleString()} reports`}
    >
      {() => <EChart option={option} />}
    </PlotFrame>
  );
}
