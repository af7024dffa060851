// A coloured phase label from an object's conditions (an experiment's or a trial's), with the
// holding condition's reason and message as its tooltip.
import type { Condition } from "../api/types";
import { conditionsPhase, currentCondition, phaseTone, trialPhase } from "../format";

export interface StatusBadgeProps {
  conditions?: Condition[];
  // "experiment" (default) reads Created/Running/Restarting/Succeeded/Failed; "trial" also
  // Killed/EarlyStopped/MetricsUnavailable.
  kind?: "experiment" | "trial";
  // Shows this phase instead of deriving one (e.g. a TrialRow's phase).
  phase?: string;
}

export default function StatusBadge({ conditions, kind = "experiment", phase }: StatusBadgeProps) {
  const shown = phase ?? (kind === "trial" ? trialPhase(conditions) : conditionsPhase(conditions));
  const c = currentCondition(conditions);
  const title = c ? [c.reason, c.message].filter(Boolean).join(": ") : undefined;
  return (
    <span className={`badge tone-${phaseTone(shown)}`} title={title} data-testid="status-badge">
      {shown}
    </span>
  );
}
