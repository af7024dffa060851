// The plots tab (loaded on first use with ECharts): every plot of the experiment, each fed by
// a pure transform of the trial model and updated in place as trials change.
import type { Model } from "../transforms/trialTable";
import ContourPlot from "./ContourPlot";
import HistoryPlot from "./HistoryPlot";
import ImportancePlot from "./ImportancePlot";
import IntermediatePlot from "./IntermediatePlot";
import ParallelPlot from "./ParallelPlot";
import SlicePlot from "./SlicePlot";
import TimelinePlot from "./TimelinePlot";
import "./plots.css";

export interface PlotsTabProps {
  model: Model;
  ns: string;
  experiment: string;
  version: number;
}

export default function PlotsTab({ model, ns, experiment, version }: PlotsTabProps) {
  return (
    <div className="plots" data-testid="plots">
      <ParallelPlot model={model} />
      <HistoryPlot model={model} ns={ns} experiment={experiment} />
      <ImportancePlot model={model} ns={ns} experiment={experiment} />
      <SlicePlot model={model} />
      <ContourPlot model={model} />
      <IntermediatePlot model={model} ns={ns} experiment={experiment} version={version} />
      <TimelinePlot model={model} />
    </div>
  );
}
