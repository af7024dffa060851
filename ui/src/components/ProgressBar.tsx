// Trial counts as a stacked bar: succeeded, running, failed (and killed/early stopped) out of
// maxTrialCount, with the numbers in text for screen readers and narrow screens.
import { formatCount } from "../format";

export interface TrialCounts {
  succeeded: number;
  running: number;
  failed: number;
  other: number; // killed, early stopped, metrics unavailable
  total: number; // trials created
  max?: number; // maxTrialCount
}

export default function ProgressBar({ counts }: { counts: TrialCounts }) {
  const denom = Math.max(counts.max ?? 0, counts.total, 1);
  const pct = (n: number) => `${(100 * n) / denom}%`;
  const label =
    `${formatCount(counts.succeeded)} succeeded, ${formatCount(counts.running)} running, ` +
    `${formatCount(counts.failed)} failed` +
    (counts.other ? `, ${formatCount(counts.other)} stopped` : "") +
    (counts.max ? ` of ${formatCount(counts.max)}` : "");
  return (
    <div className="progress" title={label}>
      <div className="progress-bar" role="img" aria-label={label}>
        <span className="seg tone-ok" style={{ width: pct(counts.succeeded) }} />
        <span className="seg tone-run" style={{ width: pct(counts.running) }} />
        <span className="seg tone-bad" style={{ width: pct(counts.failed) }} />
        <span className="seg tone-warn" style={{ width: pct(counts.other) }} />
      </div>
      <span className="progress-text">
        {formatCount(counts.succeeded + counts.failed + counts.other)}
        {counts.running ? `+${formatCount(counts.running)}` : ""}/
        {counts.max ? formatCount(counts.max) : "∞"}
      </span>
    </div>
  );
}
