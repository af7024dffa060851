// Colours the plots share: one per trial phase (readable on light and dark backgrounds) and
// the objective scale, whose "good" end is the same colour whatever the direction.
import type { TrialPhase } from "../api/types";
import { formatNumber } from "../format";

export const PHASE_COLORS: Record<TrialPhase, string> = {
  Succeeded: "#38a169",
  Running: "#3182ce",
  Created: "#a0aec0",
  Failed: "#e53e3e",
  Killed: "#dd6b20",
  EarlyStopped: "#d69e2e",
  MetricsUnavailable: "#b83280",
};

// From worst to best.
const SCALE = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"];

// The visualMap colours from the low value to the high one.
export function objectiveColors(goodIsHigh: boolean): string[] {
  return goodIsHigh ? SCALE : [...SCALE].reverse();
}

// The objective's colour legend at the plot's right, from `min` to `max` ("best" at the good
// end); the caller adds which series (seriesIndex) or data dimension it colours.
export function objectiveVisualMap(min: number, max: number, goodIsHigh: boolean) {
  return {
    type: "continuous" as const,
    min,
    max,
    right: 4,
    top: "middle",
    itemHeight: 160,
    calculable: true,
    text: [goodIsHigh ? "best" : "worst", goodIsHigh ? "worst" : "best"],
    inRange: { color: objectiveColors(goodIsHigh) },
    formatter: (v: number) => formatNumber(v),
  };
}
