// An object's status conditions, as `kubectl describe` lists them, times in the browser's zone.
import type { Condition } from "../api/types";
import RelativeTime from "./RelativeTime";

export default function ConditionsTable({ conditions }: { conditions?: Condition[] }) {
  if (!conditions || conditions.length === 0) return <p className="muted">No conditions yet.</p>;
  return (
    <div className="table-scroll">
      <table className="data conditions" data-testid="conditions">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Last transition</th>
          </tr>
        </thead>
        <tbody>
          {conditions.map((c) => (
            <tr key={c.type}>
              <td>{c.type}</td>
              <td className={c.status === "True" ? "cond-true" : "muted"}>{c.status}</td>
              <td>{c.reason ?? ""}</td>
              <td className="wrap">{c.message ?? ""}</td>
              <td>
                <RelativeTime iso={c.lastTransitionTime ?? c.lastUpdateTime} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
