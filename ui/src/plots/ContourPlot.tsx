// Contour: the objective over two chosen parameters, interpolated on a grid (inverse-distance
// weighting, at most 50×50 cells) drawn as a heatmap, with the trials as points on top.
// The heatmap sits on hidden category axes; the points on the parameters' own axes (log or
// categorical as the parameter is), in a second grid laid exactly over the first.
import { useMemo, useState } from "react";
import { formatNumber } from "../format";
import { contour } from "../transforms/slice";
import type { Model } from "../transforms/trialTable";
import { objectiveColors } from "./colors";
import EChart from "./EChart";
import PlotFrame from "./PlotFrame";
import { axisFor, ParamSelect } from "./SlicePlot";

const GRID = { left: 72, right: 96, top: 24, bottom: 48 };

export default function ContourPlot({ model }: { model: Model }) {
  const [xi, setXi] = useState(0);
  const [yi, setYi] = useState(1);
  const n = model.params.length;
  const x = Math.min(xi, n - 1);
  const y = Math.min(yi, n - 1);
  const c = useMemo(() => (n >= 2 && x !== y ? contour(model, x, y, 50) : null), [model, x, y, n]);
  const option = useMemo(() => {
    if (!c) return {};
    const range = (cells: number) => Array.from({ length: cells }, (_, i) => i);
    const valueAxis = (a: typeof c.x) =>
      a.param.kind === "category"
        ? axisFor("category", a.param.categories, a.param.name)
        : {
            ...axisFor(a.param.kind, [], a.param.name),
            scale: false,
            min: a.param.kind === "log" ? 10 ** a.lo : a.lo,
            max: a.param.kind === "log" ? 10 ** a.hi : a.hi,
          };
    const goodIsHigh = model.direction === "maximize";
    return {
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: (p: { seriesIndex: number; data: number[] }) =>
          p.seriesIndex === 0
            ? `interpolated ${model.objectiveMetric}: ${formatNumber(p.data[2])}`
            : `${c.x.param.name}: ${formatNumber(p.data[0])}<br/>${c.y.param.name}: ${formatNumber(p.data[1])}<br/>${model.objectiveMetric}: ${formatNumber(p.data[2])}`,
      },
      grid: [GRID, GRID],
      xAxis: [
        { type: "category", data: range(c.x.cells), gridIndex: 0, show: false },
        { ...valueAxis(c.x), gridIndex: 1, nameLocation: "middle", nameGap: 28 },
      ],
      yAxis: [
        { type: "category", data: range(c.y.cells), gridIndex: 0, show: false },
        { ...valueAxis(c.y), gridIndex: 1, nameLocation: "end" },
      ],
      visualMap: {
        type: "continuous",
        seriesIndex: 0,
        min: c.min,
        max: c.max,
        right: 4,
        top: "middle",
        itemHeight: 160,
        calculable: true,
        text: [goodIsHigh ? "best" : "worst", goodIsHigh ? "worst" : "best"],
        inRange: { color: objectiveColors(goodIsHigh) },
        formatter: (v: number) => formatNumber(v),
      },
      series: [
        {
          type: "heatmap",
          xAxisIndex: 0,
          yAxisIndex: 0,
          data: c.grid,
          progressive: 0,
          emphasis: { disabled: true },
        },
        {
          type: "scatter",
          xAxisIndex: 1,
          yAxisIndex: 1,
          data: c.points,
          symbolSize: 3,
          large: true,
          largeThreshold: 2000,
          itemStyle: { color: "rgba(20,20,20,0.4)" },
        },
      ],
    };
  }, [c, model]);
  const empty =
    n < 2
      ? "A contour needs two parameters; this experiment has " + n + "."
      : x === y
        ? "Choose two different parameters."
        : !c
          ? "No trial has succeeded yet."
          : undefined;
  return (
    <PlotFrame
      testid="plot-contour"
      title="Contour"
      controls={
        n >= 2 && (
          <>
            <ParamSelect model={model} value={x} onChange={setXi} label="x" />
            <ParamSelect model={model} value={y} onChange={setYi} label="y" />
          </>
        )
      }
      empty={empty}
      note={
        c &&
        `interpolated on ${c.x.cells}×${c.y.cells} cells from ${c.points.length.toLocaleString()} trials`
      }
    >
      {() => <EChart option={option} height={400} />}
    </PlotFrame>
  );
}
