// One trial: status, parameters, conditions, metric curves from its observation log, per-metric
// latest/min/max, and its log (followed while it runs). Live: every change of this trial
// refetches it and its observations, every "Observation" event (its metric reports) the
// observations; followed log output refetches them too (at most every two seconds), for a
// server that sends no Observation events.
import { useCallback, useEffect, useMemo, useRef } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import { useChanges } from "../api/live";
import ConditionsTable from "../components/ConditionsTable";
import ErrorBanner from "../components/ErrorBanner";
import RelativeTime from "../components/RelativeTime";
import StatusBadge from "../components/StatusBadge";
import { durationBetween, formatCount, formatDuration, formatNumber, formatTime, trialPhase } from "../format";
import { useRefetch } from "./list/useRefetch";
import MetricChart from "./trial/MetricChart";
import TrialLog from "./trial/TrialLog";
import { metricSeries, scalesDiffer } from "./trial/series";

const OBSERVATION_REFRESH_MS = 2000;

export default function TrialPage() {
  const { ns = "", name = "", trial = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const x = params.get("x") === "time" ? "time" : "index";
  const layoutParam = params.get("charts"); // "one" | "each"; absent: by the metrics' scales
  const experimentUrl = `/experiments/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;

  const trialQ = useRefetch(() => api.getTrial(ns, trial), [ns, trial]);
  const obsQ = useRefetch(() => api.observations(ns, trial), [ns, trial]);

  useEffect(() => {
    document.title = `${trial} · ktune`;
  }, [trial]);

  useChanges(
    (c) => (c.kind === "Trial" || c.kind === "Observation") && c.namespace === ns && c.name === trial,
    (batch) => {
      if (batch.some((c) => c.kind !== "Observation")) trialQ.refetch();
      obsQ.refetch();
    },
  );

  // Throttled: log output arrives in many small chunks.
  const lastObs = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onOutput = useCallback(() => {
    if (timer.current) return;
    const wait = Math.max(0, lastObs.current + OBSERVATION_REFRESH_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      lastObs.current = Date.now();
      obsQ.refetch();
    }, wait);
  }, [obsQ.refetch]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const t = trialQ.data;
  const phase = t ? trialPhase(t.status?.conditions) : undefined;
  const objective = t?.spec.objective;
  const order = useMemo(
    () => [objective?.objectiveMetricName ?? "", ...(objective?.additionalMetricNames ?? [])].filter(Boolean),
    [objective],
  );
  const series = useMemo(() => metricSeries(obsQ.data, order), [obsQ.data, order]);
  // Katib's own summary (status.observation) where the log has none yet.
  const statusMetrics = t?.status?.observation?.metrics ?? [];

  const separate = layoutParam ? layoutParam === "each" : scalesDiffer(series);

  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const setX = (v: "index" | "time") => setParam("x", v === "time" ? "time" : null);

  if (trialQ.error && !t) {
    return (
      <section>
        <h1>{trial}</h1>
        <ErrorBanner error={trialQ.error} />
        <p>
          <Link to={experimentUrl}>Back to {name}</Link>
        </p>
      </section>
    );
  }
  if (!t) return <p className="muted">Loading…</p>;

  const start = t.status?.startTime;
  const end = t.status?.completionTime;
  const duration = durationBetween(start, end);

  return (
    <section className="trial-page">
      <div className="page-head">
        <h1>
          {trial} <StatusBadge kind="trial" conditions={t.status?.conditions} />
        </h1>
        <Link to={experimentUrl}>← Experiment {name}</Link>
      </div>
      <ErrorBanner error={trialQ.error} />

      <div className="trial-grid">
        <div className="panel">
          <h2>Status</h2>
          <dl className="kv">
            <dt>Phase</dt>
            <dd>{phase}</dd>
            <dt>Created</dt>
            <dd>
              {formatTime(t.metadata.creationTimestamp)} (<RelativeTime iso={t.metadata.creationTimestamp} />)
            </dd>
            <dt>Started</dt>
            <dd>{formatTime(start)}</dd>
            <dt>Completed</dt>
            <dd>{formatTime(end)}</dd>
            <dt>Duration</dt>
            <dd>{duration === undefined ? "–" : formatDuration(duration)}{!end && start ? " (running)" : ""}</dd>
            <dt>Objective</dt>
            <dd>
              {objective ? `${objective.type} ${objective.objectiveMetricName}` : "–"}
              {objective?.goal !== undefined ? `, goal ${formatNumber(objective.goal)}` : ""}
            </dd>
          </dl>
        </div>
        <div className="panel">
          <h2>Parameters</h2>
          <table className="data compact">
            <tbody>
              {(t.spec.parameterAssignments ?? []).map((p) => (
                <tr key={p.name}>
                  <th scope="row">{p.name}</th>
                  <td className="num">{isNumeric(p.value) ? formatNumber(p.value) : p.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <h2>Metrics</h2>
      <ErrorBanner error={obsQ.error} />
      {series.length === 0 && statusMetrics.length === 0 ? (
        <p className="muted">No metrics reported yet.</p>
      ) : (
        <>
          <div className="table-scroll">
            <table className="data metrics-table">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col" className="num">Latest</th>
                  <th scope="col" className="num">Min</th>
                  <th scope="col" className="num">Max</th>
                  <th scope="col" className="num">Reports</th>
                </tr>
              </thead>
              <tbody>
                {(series.length > 0
                  ? series.map((s) => ({ name: s.name, latest: s.latest, min: s.min, max: s.max, reports: s.reports }))
                  : statusMetrics.map((m) => ({ name: m.name, latest: m.latest, min: m.min, max: m.max, reports: undefined }))
                ).map((m) => (
                  <tr key={m.name}>
                    <th scope="row">
                      {m.name}
                      {m.name === objective?.objectiveMetricName && <span className="muted"> (objective)</span>}
                    </th>
                    <td className="num">{formatNumber(m.latest)}</td>
                    <td className="num">{formatNumber(m.min)}</td>
                    <td className="num">{formatNumber(m.max)}</td>
                    <td className="num">{m.reports === undefined ? "–" : formatCount(m.reports)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {series.length > 0 && (
            <>
              <div className="toolbar chart-toolbar">
                <span role="group" aria-label="X axis" className="button-group">
                  <span className="muted">x axis</span>
                  <button type="button" className="small" aria-pressed={x === "index"} onClick={() => setX("index")}>
                    Report
                  </button>
                  <button type="button" className="small" aria-pressed={x === "time"} onClick={() => setX("time")}>
                    Time
                  </button>
                </span>
                {series.length > 1 && (
                  <span role="group" aria-label="Charts" className="button-group">
                    <span className="muted">charts</span>
                    <button type="button" className="small" aria-pressed={!separate} onClick={() => setParam("charts", "one")}>
                      All metrics
                    </button>
                    <button type="button" className="small" aria-pressed={separate} onClick={() => setParam("charts", "each")}>
                      One per metric
                    </button>
                  </span>
                )}
              </div>
              <div data-testid="metric-chart" data-charts={separate ? "each" : "one"}>
                {separate ? (
                  <div className="chart-grid">
                    {series.map((s, i) => (
                      <MetricChart key={s.name} series={[s]} x={x} colorIndex={i} />
                    ))}
                  </div>
                ) : (
                  <MetricChart series={series} x={x} />
                )}
              </div>
            </>
          )}
        </>
      )}

      <h2>Conditions</h2>
      <ConditionsTable conditions={t.status?.conditions} />

      <h2>Log</h2>
      <TrialLog ns={ns} trial={trial} phase={phase} onOutput={onOutput} />
    </section>
  );
}

function isNumeric(v: string): boolean {
  return v.trim() !== "" && Number.isFinite(Number(v));
}
