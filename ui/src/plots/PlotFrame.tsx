// A plot's frame: its title, controls and either the chart or the reason there is none.
// The chart mounts when the frame first scrolls into view, so a page of plots draws the
// visible ones first; once mounted it stays (updates go through setOption).
import { useEffect, useRef, useState, type ReactNode } from "react";

export interface PlotFrameProps {
  testid: string;
  title: string;
  controls?: ReactNode;
  empty?: string; // why there is nothing to draw
  note?: ReactNode;
  children: () => ReactNode; // the chart, rendered only when visible and not empty
  eager?: boolean; // mount the chart at once (the first plot of the page)
}

export default function PlotFrame({
  testid,
  title,
  controls,
  empty,
  note,
  children,
  eager = false,
}: PlotFrameProps) {
  const ref = useRef<HTMLElement>(null);
  const [seen, setSeen] = useState(eager);
  useEffect(() => {
    if (seen || !ref.current) return;
    if (typeof IntersectionObserver === "undefined") {
      setSeen(true);
      return;
    }
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin: "200px" },
    );
    io.observe(ref.current);
    return () => io.disconnect();
  }, [seen]);
  return (
    <section
      className="plot card"
      data-testid={testid}
      data-empty={empty ? "1" : "0"}
      ref={ref}
      aria-label={title}
    >
      <div className="plot-head">
        <h2>{title}</h2>
        {controls && <div className="plot-controls">{controls}</div>}
      </div>
      {empty ? (
        <div className="plot-empty" role="status">
          {empty}
        </div>
      ) : seen ? (
        children()
      ) : (
        <div className="plot-placeholder" />
      )}
      {note && !empty && <div className="plot-note muted">{note}</div>}
    </section>
  );
}
