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

// `model` is absent while the trials are still loading: the best trial then comes from the
// experiment's status (currentOptimalTrial).
export default function Overview({ experiment, model }: { experiment: Experiment; model?: Model }) {
  const spec = experiment.spec;
  const st = experiment.status ?? {};
  const obj = spec.objective;
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
            {spec.maxFailedTrialCount !== undefined && (
              <>, at most {spec.maxFailedTrialCount} failed</>
            )}
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
        <BestTrial experiment={experiment} model={model} />
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

function BestTrial({ experiment, model }: { experiment: Experiment; model?: Model }) {
  const ns = experiment.metadata.namespace;
  const name = experiment.metadata.name;
  const opt = experiment.status?.currentOptimalTrial;
  const best = model?.rows.find((r) => r.name === model.bestTrialName);
  const trialName = best?.name ?? opt?.bestTrialName;
  if (!trialName) return <p className="muted">No trial has succeeded yet.</p>;
  const objectiveName =
    model?.objectiveMetric ?? experiment.spec.objective?.objectiveMetricName ?? "";
  // name -> value, objective first, from the table's row when loaded, else from the status
  const metrics: [string, number | string | undefined][] = best
    ? model!.metrics.map((m) => [m, m === objectiveName ? best.objective : best.metrics[m]?.latest])
    : (opt?.observation?.metrics ?? [])
        .map((m): [string, string | undefined] => [m.name, m.latest])
        .sort((a, b) => Number(b[0] === objectiveName) - Number(a[0] === objectiveName));
  const params: [string, string | undefined, boolean][] = best
    ? model!.params.map((p) => [p.name, best.assignments[p.name], p.kind === "category"])
    : (opt?.parameterAssignments ?? []).map((a) => [
        a.name,
        a.value,
        !Number.isFinite(Number(a.value)),
      ]);
  return (
    <>
      <p>
        <Link to={trialPath(ns, name, trialName)}>{trialName}</Link>{" "}
        {best && <StatusBadge phase={best.phase} kind="trial" />}
      </p>
      <dl className="kv">
        {metrics.map(([m, v]) => (
          <div key={m} className="kv-pair">
            <dt>{m}</dt>
            <dd className={m === objectiveName ? "num best-value" : "num"}>{formatNumber(v)}</dd>
          </div>
        ))}
        {params.map(([p, v, cat]) => (
          <div key={p} className="kv-pair">
            <dt>{p}</dt>
            <dd className="num">{cat ? v : formatNumber(v)}</dd>
          </div>
        ))}
        {best && (
          <div className="kv-pair">
            <dt>Duration</dt>
            <dd>
              {formatDuration(
                best.start !== undefined && best.end !== undefined
                  ? best.end - best.start
                  : undefined,
              )}
            </dd>
          </div>
        )}
      </dl>
    </>
  );
}
