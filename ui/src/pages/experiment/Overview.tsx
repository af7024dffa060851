// The overview tab: what the experiment searches (algorithm, objective, budget, parameters,
// collector), how far it is (trial counts, conditions) and its best trial.
import { Link } from "react-router-dom";
import type { Experiment, ParameterSpec } from "../../api/types";
import ConditionsTable from "../../components/ConditionsTable";
import StatusBadge from "../../components/StatusBadge";
import { formatCount, formatDuration, formatNumber, formatTime } from "../../format";
import type { Model } from "../../transforms/trialTable";
import { trialPath } from "./paths";

function space(p: ParameterSpec): string {
  const f = p.feasibleSpace;
  if (f.list && f.list.length > 0) return `{${f.list.join(", ")}}`;
  let s = `[${f.min ?? "?"}, ${f.max ?? "?"}]`;
  if (f.step) s += ` step ${f.step}`;
  if (f.distribution) s += ` ${f.distribution}`;
  return s;
}

function settings(list?: { name: string; value: string }[]): string {
  return list && list.length > 0 ? list.map((s) => `${s.name}=${s.value}`).join(", ") : "";
}

export default function Overview({ experiment, model }: { experiment: Experiment; model: Model }) {
  const spec = experiment.spec;
  const st = experiment.status ?? {};
  const obj = spec.objective;
  const best = model.rows.find((r) => r.name === model.bestTrialName);
  const ns = experiment.metadata.namespace;
  const name = experiment.metadata.name;
  const counts: [string, number | undefined][] = [
    ["Total", st.trials],
    ["Succeeded", st.trialsSucceeded],
    ["Running", st.trialsRunning],
    ["Pending", st.trialsPending],
    ["Failed", st.trialsFailed],
    ["Killed", st.trialsKilled],
    ["Early stopped", st.trialsEarlyStopped],
    ["Metrics unavailable", st.trialMetricsUnavailable],
  ];
  return (
    <div className="overview" data-testid="experiment-overview">
      <section className="card">
        <h2>Spec</h2>
        <dl className="kv">
          <dt>Algorithm</dt>
          <dd>
            {spec.algorithm?.algorithmName ?? "–"}
            {settings(spec.algorithm?.algorithmSettings) && (
              <span className="muted"> ({settings(spec.algorithm?.algorithmSettings)})</span>
            )}
          </dd>
          {spec.earlyStopping && (
            <>
              <dt>Early stopping</dt>
              <dd>
                {spec.earlyStopping.algorithmName}
                {settings(spec.earlyStopping.algorithmSettings) && (
                  <span className="muted"> ({settings(spec.earlyStopping.algorithmSettings)})</span>
                )}
              </dd>
            </>
          )}
          <dt>Objective</dt>
          <dd>
            {obj ? (
              <>
                {obj.type} <code>{obj.objectiveMetricName}</code>
                {obj.goal !== undefined && <> to {formatNumber(obj.goal)}</>}
                {obj.additionalMetricNames && obj.additionalMetricNames.length > 0 && (
                  <span className="muted"> (also {obj.additionalMetricNames.join(", ")})</span>
                )}
              </>
            ) : (
              "–"
            )}
          </dd>
          <dt>Budget</dt>
          <dd>
            {spec.maxTrialCount ?? "∞"} trials, {spec.parallelTrialCount ?? 1} in parallel
            {spec.maxFailedTrialCount !== undefined && <>, at most {spec.maxFailedTrialCount} failed</>}
          </dd>
          <dt>Metrics collector</dt>
          <dd>{spec.metricsCollectorSpec?.collector?.kind ?? "StdOut"}</dd>
          {spec.resumePolicy && (
            <>
              <dt>Resume policy</dt>
              <dd>{spec.resumePolicy}</dd>
            </>
          )}
          <dt>Started</dt>
          <dd>{formatTime(st.startTime ?? experiment.metadata.creationTimestamp)}</dd>
          {st.completionTime && (
            <>
              <dt>Completed</dt>
              <dd>{formatTime(st.completionTime)}</dd>
            </>
          )}
        </dl>
        <h3>Parameters</h3>
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Space</th>
              </tr>
            </thead>
            <tbody>
              {(spec.parameters ?? []).map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{p.parameterType}</td>
                  <td className="wrap">
                    <code>{space(p)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" data-testid="best-trial">
        <h2>Best trial</h2>
        {best ? (
          <>
            <p>
              <Link to={trialPath(ns, name, best.name)}>{best.name}</Link>{" "}
              <StatusBadge phase={best.phase} kind="trial" />
            </p>
            <dl className="kv">
              <dt>{model.objectiveMetric}</dt>
              <dd className="num best-value">{formatNumber(best.objective)}</dd>
              {model.metrics
                .filter((m) => m !== model.objectiveMetric)
                .map((m) => (
                  <div key={m} className="kv-pair">
                    <dt>{m}</dt>
                    <dd className="num">{formatNumber(best.metrics[m]?.latest)}</dd>
                  </div>
                ))}
              {model.params.map((p) => (
                <div key={p.name} className="kv-pair">
                  <dt>{p.name}</dt>
                  <dd className="num">
                    {p.kind === "category" ? best.assignments[p.name] : formatNumber(best.assignments[p.name])}
                  </dd>
                </div>
              ))}
              <dt>Duration</dt>
              <dd>{formatDuration(best.start !== undefined && best.end !== undefined ? best.end - best.start : undefined)}</dd>
            </dl>
          </>
        ) : (
          <p className="muted">No trial has succeeded yet.</p>
        )}
        <h3>Trials</h3>
        <dl className="kv counts">
          {counts
            .filter(([label, n]) => n !== undefined && (n > 0 || label === "Total"))
            .map(([label, n]) => (
              <div key={label} className="kv-pair">
                <dt>{label}</dt>
                <dd className="num">{formatCount(n)}</dd>
              </div>
            ))}
        </dl>
      </section>
      <section className="card wide">
        <h2>Conditions</h2>
        <ConditionsTable conditions={st.conditions} />
      </section>
    </div>
  );
}
