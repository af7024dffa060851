// A trial's metric curves on one ECharts line chart (legend toggles metrics), x either the
// report index or the report time; colours follow the page's light/dark theme.
import { useMemo } from "react";
import EChart, { useDark } from "../../plots/EChart";
import type { Option } from "../../plots/echarts";
import { formatNumber, formatTime } from "../../format";
import { seriesPoints, type MetricSeries } from "./series";

// ECharts' default palette; a chart of one metric among several takes that metric's colour.
const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

interface Props {
  series: MetricSeries[];
  x: "index" | "time";
  colorIndex?: number; // the first series' place among all the trial's metrics
}

export default function MetricChart({ series, x, colorIndex = 0 }: Props) {
  const dark = useDark();
  const option = useMemo((): Option => {
    const fg = cssVar("--fg") || "#222";
    const muted = cssVar("--muted") || "#666";
    const border = cssVar("--border") || "#ddd";
    const panel = cssVar("--panel") || "#fff";
    const axis = {
      axisLine: { lineStyle: { color: border } },
      axisLabel: { color: muted },
      splitLine: { lineStyle: { color: border, opacity: 0.6 } },
      nameTextStyle: { color: muted },
    };
    return {
      animation: false,
      color: [...PALETTE.slice(colorIndex % PALETTE.length), ...PALETTE.slice(0, colorIndex % PALETTE.length)],
      textStyle: { color: fg },
      grid: { left: 56, right: 24, top: 40, bottom: 56, containLabel: false },
      legend: { top: 4, textStyle: { color: fg }, type: "scroll" },
      tooltip: {
        trigger: "axis",
        backgroundColor: panel,
        borderColor: border,
        textStyle: { color: fg },
        valueFormatter: (v: unknown) => formatNumber(v as number),
        ...(x === "time"
          ? {
              axisPointer: {
                label: { formatter: (p: { value: number }) => formatTime(new Date(p.value).toISOString()) },
              },
            }
          : {}),
      },
      dataZoom: [{ type: "inside" }],
      xAxis:
        x === "time"
          ? {
              type: "time",
              name: "time",
              nameLocation: "middle",
              nameGap: 30,
              ...axis,
              axisLabel: { color: muted, hideOverlap: true },
            }
          : {
              type: "value",
              name: "report",
              nameLocation: "middle",
              nameGap: 30,
              minInterval: 1,
              ...axis,
            },
      yAxis: { type: "value", scale: true, ...axis, axisLabel: { color: muted, formatter: (v: number) => formatNumber(v) } },
      series: series.map((s) => ({
        name: s.name,
        type: "line",
        showSymbol: s.values.length <= 60,
        data: seriesPoints(s, x),
        emphasis: { focus: "series" },
      })),
    };
    // `dark`: the CSS variables read above change with the theme
  }, [series, x, dark, colorIndex]);

  return (
    <div className="metric-chart" role="img" aria-label={`Metric curves: ${series.map((s) => s.name).join(", ")}`}>
      <EChart option={option} height={318} />
    </div>
  );
}
