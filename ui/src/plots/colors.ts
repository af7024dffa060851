// Colours the plots share: one per trial phase (readable on light and dark backgrounds) and
// the objective scale, whose "good" end is the same colour whatever the direction.
import type { TrialPhase } from "../api/types";

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
