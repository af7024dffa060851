// The experiment as YAML, read-only (managedFields and the like are the server's; shown as is).
import { useMemo } from "react";
import { stringify } from "yaml";
import type { Experiment } from "../../api/types";

export default function YamlView({ experiment }: { experiment: Experiment }) {
  const text = useMemo(() => stringify(experiment, { lineWidth: 0 }), [experiment]);
  return (
    <pre
      className="yaml-view"
      data-testid="experiment-yaml"
      tabIndex={0}
      aria-label="Experiment YAML"
    >
      {text}
    </pre>
  );
}
