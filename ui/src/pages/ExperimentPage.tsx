// One experiment (/experiments/:ns/:name?tab=overview|trials|plots|yaml): its spec, status and
// best trial, the trials table, the plots and the YAML, all live. The plots and the YAML view
// are loaded on first use so the page's first render stays light.
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import ConfirmDialog from "../components/ConfirmDialog";
import ErrorBanner from "../components/ErrorBanner";
import StatusBadge from "../components/StatusBadge";
import { experimentPhase } from "../format";
import { buildModel } from "../transforms/trialTable";
import Overview from "./experiment/Overview";
import TrialsTable from "./experiment/TrialsTable";
import { useExperimentData } from "./experiment/useExperimentData";
import "./experiment/experiment.css";

const loadPlots = () => import("../plots/PlotsTab");
const PlotsTab = lazy(loadPlots);
const YamlView = lazy(() => import("./experiment/YamlView"));

const TABS = [
  ["overview", "Overview"],
  ["trials", "Trials"],
  ["plots", "Plots"],
  ["yaml", "YAML"],
] as const;
type Tab = (typeof TABS)[number][0];

// Keyed by the experiment, so moving to another one starts its data afresh.
export default function ExperimentPage() {
  const { ns = "", name = "" } = useParams();
  return <ExperimentView key={`${ns}/${name}`} ns={ns} name={name} />;
}

function ExperimentView({ ns, name }: { ns: string; name: string }) {
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS.find(([t]) => t === params.get("tab"))?.[0] ?? "overview") as Tab;
  const data = useExperimentData(ns, name);
  // the plots' code (ECharts) loads while the trials do
  useEffect(() => {
    if (tab === "plots") void loadPlots();
  }, [tab]);
  const model = useMemo(() => (data.table ? buildModel(data.table) : undefined), [data.table]);
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState<"stop" | "delete" | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);

  const exp = data.experiment;
  const phase = experimentPhase(exp);
  const finished = phase === "Succeeded" || phase === "Failed";

  const setTab = (t: Tab) => {
    const next = new URLSearchParams(params);
    next.set("tab", t);
    setParams(next);
  };

  const act = async () => {
    const what = confirm;
    setBusy(true);
    try {
      if (what === "stop") await api.stopExperiment(ns, name);
      if (what === "delete") {
        await api.deleteExperiment(ns, name);
        navigate("/");
        return;
      }
      setConfirm(null);
    } catch (e) {
      setActionError(e);
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  if (data.gone) {
    return (
      <div className="empty" data-testid="experiment-gone">
        Experiment {ns}/{name} does not exist (or was deleted).
      </div>
    );
  }

  return (
    <div className="experiment-page" data-testid="experiment-page">
      <div className="page-head">
        <h1>{name}</h1>
        {exp && <StatusBadge conditions={exp.status?.conditions} />}
        <span className="spacer" />
        {exp && !finished && (
          <button type="button" onClick={() => setConfirm("stop")}>
            Stop
          </button>
        )}
        {exp && (
          <button type="button" className="danger" onClick={() => setConfirm("delete")}>
            Delete
          </button>
        )}
      </div>
      <ErrorBanner
        error={actionError ?? data.error}
        onDismiss={actionError ? () => setActionError(null) : undefined}
      />
      <div className="tabs" role="tablist" aria-label="Experiment views">
        {TABS.map(([t, label]) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="experiment-tabpanel"
            className={tab === t ? "tab active" : "tab"}
            onClick={() => setTab(t)}
            onKeyDown={(e) => {
              const i = TABS.findIndex(([x]) => x === t);
              const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
              if (!d) return;
              const next = TABS[(i + d + TABS.length) % TABS.length][0];
              setTab(next);
              document.getElementById(`tab-${next}`)?.focus();
            }}
            tabIndex={tab === t ? 0 : -1}
          >
            {label}
            {t === "trials" && model ? ` (${model.rows.length.toLocaleString()})` : ""}
          </button>
        ))}
      </div>
      <div id="experiment-tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "overview" && exp ? (
          <Overview experiment={exp} model={model} />
        ) : !exp || !model ? (
          !data.error && <p className="muted">Loading…</p>
        ) : tab === "trials" ? (
          <TrialsTable model={model} ns={ns} experiment={name} />
        ) : (
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {tab === "plots" ? (
              <PlotsTab model={model} ns={ns} experiment={name} version={data.version} />
            ) : (
              <YamlView experiment={exp} />
            )}
          </Suspense>
        )}
      </div>
      <ConfirmDialog
        open={confirm !== null}
        title={confirm === "stop" ? `Stop ${name}?` : `Delete ${name}?`}
        message={
          confirm === "stop"
            ? "No new trials start and running ones are killed; the experiment ends as Succeeded (ExperimentStopped)."
            : "The experiment and all its trials are deleted. This cannot be undone."
        }
        confirmLabel={confirm === "stop" ? "Stop" : "Delete"}
        danger={confirm === "delete"}
        busy={busy}
        onConfirm={() => void act()}
        onCancel={() => setConfirm(null)}
      />
    </div>
  );
}
