// The plots tab (loaded on first use with ECharts): every plot of the experiment, each fed by
// a pure transform of the trial model and updated in place as trials change.
import { useCallback, useEffect, useState } from "react";
import type { ExperimentViewProps } from "../pages/experiment/viewProps";
import ContourPlot from "./ContourPlot";
import HistoryPlot from "./HistoryPlot";
import ImportancePlot from "./ImportancePlot";
import IntermediatePlot from "./IntermediatePlot";
import ParallelPlot from "./ParallelPlot";
import SlicePlot from "./SlicePlot";
import TimelinePlot from "./TimelinePlot";
import "./plots.css";

export interface PlotsTabProps extends ExperimentViewProps {
  version: number;
}

// The parallel-coordinates plot is drawn first; the others mount once it has been drawn (or
// after 4 s at the latest), one per task, so neither the first plot nor the page's input
// waits for all of them.
// The other plots start this long after the parallel plot is drawn, so its first frames and
// the page's input come first (bench/README.md, "Web UI").
const AFTER_FIRST_MS = 400;

export default function PlotsTab({ model, ns, experiment, version }: PlotsTabProps) {
  const [stage, setStage] = useState(0);
  const start = useCallback(() => setStage((s) => Math.max(s, 1)), []);
  useEffect(() => {
    const id = setTimeout(start, 4000);
    return () => clearTimeout(id);
  }, [start]);
  useEffect(() => {
    if (stage === 0 || stage > 6) return;
    const id = setTimeout(() => setStage(stage + 1), 0);
    return () => clearTimeout(id);
  }, [stage]);
  const rest = [
    <HistoryPlot key="history" model={model} ns={ns} experiment={experiment} />,
    <ImportancePlot key="importance" model={model} ns={ns} experiment={experiment} />,
    <SlicePlot key="slice" model={model} />,
    <ContourPlot key="contour" model={model} />,
    <IntermediatePlot
      key="intermediate"
      model={model}
      ns={ns}
      experiment={experiment}
      version={version}
    />,
    <TimelinePlot key="timeline" model={model} />,
  ];
  return (
    <div className="plots" data-testid="plots">
      <ParallelPlot model={model} onDrawn={() => setTimeout(start, AFTER_FIRST_MS)} />
      {rest.slice(0, Math.max(0, stage - 1))}
    </div>
  );
}
