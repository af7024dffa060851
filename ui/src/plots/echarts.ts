// The parts of ECharts the plots use (canvas renderer only), registered once. Imported only
// by the plots, so it is in the lazily loaded plots chunk, not in the page's first load.
import * as echarts from "echarts/core";
import {
  BarChart,
  HeatmapChart,
  LineChart,
  LinesChart,
  ParallelChart,
  ScatterChart,
} from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  LinesChart,
  ParallelChart,
  ScatterChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export { echarts };
export type { EChartsCoreOption as Option } from "echarts/core";
