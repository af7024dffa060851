// Parameter importance as the server computes it (api.importance), largest first; the
// server's message when it cannot yet (e.g. too few completed trials).
import { useMemo } from "react";
import { api } from "../api/client";
import type { Model } from "../transforms/trialTable";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";
import { useLiveFetch } from "./useLiveFetch";

export default function ImportancePlot({
  model,
  ns,
  experiment,
}: {
  model: Model;
  ns: string;
  experiment: string;
}) {
  const done = model.rows.filter((r) => r.objective !== undefined).length;
  // refetch only when the number of trials with an objective changed
  const imp = useLiveFetch(() => api.importance(ns, experiment), `${ns}/${experiment}`, done, 5000);
  const items = useMemo(() => [...(imp.data?.importances ?? [])].reverse(), [imp.data]);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 120, right: 48, top: 16, bottom: 32, containLabel: false },
      tooltip: {
        trigger: "item",
        formatter: (p: { name: string; value: number }) =>
          `${p.name}: ${(p.value * 100).toFixed(1)}%`,
      },
      xAxis: {
        type: "value",
        max: 1,
        axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` },
      },
      yAxis: {
        type: "category",
        data: items.map((i) => i.parameter),
        axisLabel: { width: 110, overflow: "truncate" },
      },
      series: [
        {
          type: "bar",
          data: items.map((i) => i.importance),
          itemStyle: { color: "#3182ce" },
          label: {
            show: true,
            position: "right",
            formatter: (p: { value: number }) => `${(p.value * 100).toFixed(1)}%`,
          },
        },
      ],
    }),
    [items],
  );
  const empty = imp.error
    ? imp.error.message
    : imp.loading && !imp.data
      ? "Computing…"
      : items.length === 0
        ? "No importance yet: no completed trial."
        : undefined;
  return (
    <PlotFrame
      testid="plot-importance"
      title="Parameter importance"
      empty={empty}
      note={
        imp.data &&
        `${imp.data.method} over ${imp.data.trials.toLocaleString()} completed trials, objective ${imp.data.metric}`
      }
    >
      {() => <EChart option={option} height={Math.max(160, 40 + items.length * 32)} />}
    </PlotFrame>
  );
}
