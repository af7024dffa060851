// Timeline: each started trial a bar from its start to its completion (running ones to now),
// one lane per trial in start order, coloured by phase. Drawn as `lines` (large mode), one
// series per phase.
import { useEffect, useMemo, useState } from "react";
import type { TrialPhase } from "../api/types";
import { timeline } from "../transforms/timeline";
import type { Model } from "../transforms/trialTable";
import { PHASE_COLORS } from "./colors";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";

const HEIGHT = 360;

export default function TimelinePlot({ model }: { model: Model }) {
  const running = model.rows.some((r) => r.phase === "Running");
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!running) return;
    const id = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(id);
  }, [running, model]);
  const t = useMemo(() => timeline(model, now), [model, now]);
  const option = useMemo(() => {
    const lanes = t.lanes.length;
    const phases = Object.keys(t.byPhase) as TrialPhase[];
    const width = Math.max(1, Math.min(10, (HEIGHT - 90) / Math.max(1, lanes) - 1));
    return {
      animation: false,
      legend: { top: 0, data: phases },
      grid: { left: 64, right: 24, top: 36, bottom: 56 },
      tooltip: { show: false },
      xAxis: { type: "time", min: t.min, max: t.max },
      yAxis: {
        type: "value",
        name: "trials by start",
        min: -0.5,
        max: lanes - 0.5,
        inverse: true,
        minInterval: 1,
        axisLabel: { formatter: (v: number) => (Number.isInteger(v) ? String(v + 1) : "") },
      },
      dataZoom: [
        { type: "inside", xAxisIndex: 0, filterMode: "none" },
        { type: "slider", xAxisIndex: 0, height: 14, bottom: 6, filterMode: "none" },
      ],
      series: phases.map((ph) => ({
        name: ph,
        type: "lines",
        coordinateSystem: "cartesian2d",
        large: true,
        largeThreshold: 200,
        data: t.byPhase[ph],
        lineStyle: { color: PHASE_COLORS[ph], width, opacity: 0.9, cap: "butt" },
        itemStyle: { color: PHASE_COLORS[ph] },
        silent: true,
      })),
    };
  }, [t]);
  return (
    <PlotFrame
      testid="plot-timeline"
      title="Timeline"
      empty={t.lanes.length === 0 ? "No trial has started yet." : undefined}
    >
      {() => <EChart option={option} height={HEIGHT} />}
    </PlotFrame>
  );
}
