// Katib's defaults: the fields the server's defaulting fills in, and the spec as it will be stored.
import { stringify } from "yaml";
import type { Experiment } from "../../api/types";
import type { AddedDefault } from "./defaults";

export default function DefaultsPanel({ experiment, added }: { experiment?: Experiment; added: AddedDefault[] }) {
  return (
    <details className="defaults panel">
      <summary>
        Katib's defaults
        {experiment ? ` (${added.length} field${added.length === 1 ? "" : "s"} filled in)` : ""}
      </summary>
      {experiment ? (
        <>
          {added.length > 0 && (
            <table className="data compact defaults-added">
              <caption>Filled in by Katib where the YAML leaves them out</caption>
              <tbody>
                {added.map((a) => (
                  <tr key={a.path}>
                    <th scope="row">
                      <code>{a.path}</code>
                    </th>
                    <td>
                      <code>{typeof a.value === "object" ? JSON.stringify(a.value) : String(a.value)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small">The spec as the server will store it:</p>
          <pre data-testid="defaults">{stringify(experiment.spec, { lineWidth: 0 })}</pre>
        </>
      ) : (
        <p className="muted">Shown once the YAML validates.</p>
      )}
    </details>
  );
}
