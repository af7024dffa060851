// One ECharts instance on a canvas, created once per mount and fed with setOption: each new
// option replaces the last (notMerge) without re-creating the chart, so live updates keep the
// chart and cost one redraw. Follows the system's dark/light theme and the element's size.
// `data-drawn` is set once the chart has drawn (tests and the benchmark wait for it):
// `data-rendered-at` is the time of its first frame, `data-drawn-at` when ECharts reported it finished.
import { useEffect, useRef, useState } from "react";
import { echarts, type Option } from "./echarts";

export interface EChartProps {
  option: Option;
  height?: number;
  onClick?: (params: { dataIndex: number; seriesIndex: number; data: unknown }) => void;
  onDrawn?: () => void; // after the first render has finished
}

export function useDark(): boolean {
  const q =
    typeof window !== "undefined" ? window.matchMedia?.("(prefers-color-scheme: dark)") : undefined;
  const [dark, setDark] = useState(() => q?.matches ?? false);
  useEffect(() => {
    if (!q) return;
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    q.addEventListener("change", on);
    return () => q.removeEventListener("change", on);
  }, [q]);
  return dark;
}

export default function EChart({ option, height = 360, onClick, onDrawn }: EChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const dark = useDark();
  const [drawn, setDrawn] = useState(0);
  const drawnRef = useRef(onDrawn);
  drawnRef.current = onDrawn;
  useEffect(() => {
    if (drawn) drawnRef.current?.();
  }, [drawn]);

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, dark ? "dark" : undefined, { renderer: "canvas" });
    chart.current = c;
    const node = el.current;
    c.on("finished", () => {
      // when ECharts reports the chart fully rendered (read by the benchmark)
      if (!node.dataset.drawnAt) node.dataset.drawnAt = String(Math.round(performance.now()));
      setDrawn(1);
    });
    // A chart with a data-zoom slider may never report "finished"; its first frame on the
    // canvas counts as drawn too.
    c.on("rendered", () => {
      if (!node.dataset.renderedAt) node.dataset.renderedAt = String(Math.round(performance.now()));
      setDrawn(1);
    });
    c.on("click", (p) =>
      clickRef.current?.(p as unknown as { dataIndex: number; seriesIndex: number; data: unknown }),
    );
    // ResizeObserver reports the initial size too: resize (a full re-render) only on a change
    let size = `${node.clientWidth}x${node.clientHeight}`;
    const ro = new ResizeObserver(() => {
      const now = `${node.clientWidth}x${node.clientHeight}`;
      if (now === size) return;
      size = now;
      c.resize();
    });
    ro.observe(node);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [dark]);

  useEffect(() => {
    chart.current?.setOption(
      { backgroundColor: "transparent", ...option },
      { notMerge: true, lazyUpdate: true },
    );
  }, [option, dark]);

  return <div ref={el} className="echart" style={{ height }} data-drawn={drawn > 0 ? "1" : "0"} />;
}
