// The experiments list: status, algorithm, objective and best value, trial counts, age;
// namespace filter, search and sort in the URL (/?namespace=&q=&sort=); stop and delete
// with confirmation; rows navigable with the arrow keys; refetched live on every batch of
// experiment changes from the event stream.
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { useAuthVersion } from "../api/auth";
import { api } from "../api/client";
import { useChanges } from "../api/live";
import ConfirmDialog from "../components/ConfirmDialog";
import ErrorBanner from "../components/ErrorBanner";
import ProgressBar from "../components/ProgressBar";
import RelativeTime from "../components/RelativeTime";
import StatusBadge from "../components/StatusBadge";
import { formatNumber } from "../format";
import {
  filterRows,
  formatSort,
  parseSort,
  sortRows,
  toggleSort,
  toRow,
  type ExperimentRow,
  type SortKey,
} from "./list/rows";
import { useRefetch } from "./list/useRefetch";

type Action = { kind: "delete" | "stop"; row: ExperimentRow };
type ActionError = { error: unknown; context: string };

const COLUMNS: { key: SortKey | null; label: string; num?: boolean }[] = [
  { key: "namespace", label: "Namespace" },
  { key: "name", label: "Name" },
  { key: "status", label: "Status" },
  { key: "algorithm", label: "Algorithm" },
  { key: null, label: "Objective" },
  { key: "best", label: "Best", num: true },
  { key: "trials", label: "Trials" },
  { key: "age", label: "Age" },
  { key: null, label: "Actions" },
];

export function experimentUrl(ns: string, name: string): string {
  return `/experiments/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
}

export default function ExperimentList() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const namespace = params.get("namespace") ?? "";
  const q = params.get("q") ?? "";
  const sort = parseSort(params.get("sort"));
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const authVersion = useAuthVersion();
  const [action, setAction] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ActionError | null>(null);
  const [focus, setFocus] = useState(0);
  const body = useRef<HTMLTableSectionElement>(null);

  const { data, error, loading, refetch } = useRefetch(() => api.listExperiments(namespace || undefined), [namespace]);

  useEffect(() => {
    document.title = "Experiments · ktune";
    api
      .namespaces()
      .then((l) => setNamespaces(l.items.map((n) => n.metadata.name).sort()))
      .catch(() => setNamespaces([]));
  }, [authVersion]); // a new token: ask again

  // One refetch per batch of changes to experiments in view (their status carries the counts).
  useChanges(
    (c) => c.kind === "Experiment" && (!namespace || c.namespace === namespace),
    () => refetch(),
  );

  const allRows = useMemo(() => (data?.items ?? []).map(toRow), [data]);
  const rows = useMemo(() => sortRows(filterRows(allRows, q), sort), [allRows, q, sort.key, sort.desc]); // eslint-disable-line react-hooks/exhaustive-deps
  const focusIndex = Math.min(focus, Math.max(rows.length - 1, 0));

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: key === "q" });
  };

  const moveFocus = (i: number) => {
    const n = Math.max(0, Math.min(rows.length - 1, i));
    setFocus(n);
    body.current?.querySelectorAll<HTMLTableRowElement>("tr")[n]?.focus();
  };

  const onRowKey = (e: React.KeyboardEvent, i: number, row: ExperimentRow) => {
    if (e.target !== e.currentTarget) return; // keys inside a row's buttons are theirs
    switch (e.key) {
      case "ArrowDown":
        moveFocus(i + 1);
        break;
      case "ArrowUp":
        moveFocus(i - 1);
        break;
      case "Home":
        moveFocus(0);
        break;
      case "End":
        moveFocus(rows.length - 1);
        break;
      case "PageDown":
        moveFocus(i + 10);
        break;
      case "PageUp":
        moveFocus(i - 10);
        break;
      case "Enter":
        navigate(experimentUrl(row.namespace, row.name));
        break;
      case "Delete":
        setAction({ kind: "delete", row });
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const confirm = async () => {
    if (!action) return;
    setBusy(true);
    setActionError(null);
    try {
      if (action.kind === "delete") await api.deleteExperiment(action.row.namespace, action.row.name);
      else await api.stopExperiment(action.row.namespace, action.row.name);
      refetch();
    } catch (e) {
      setActionError({ error: e, context: `Could not ${action.kind} ${action.row.name}` });
    } finally {
      setBusy(false);
      setAction(null);
    }
  };

  const newUrl = namespace ? `/new?namespace=${encodeURIComponent(namespace)}` : "/new";

  return (
    <section>
      <div className="page-head">
        <h1>Experiments</h1>
        <Link to={newUrl} className="button primary">
          New experiment
        </Link>
      </div>
      <div className="toolbar" role="search">
        <label>
          Namespace
          <select value={namespace} onChange={(e) => setParam("namespace", e.target.value)} data-testid="namespace-filter">
            <option value="">All namespaces</option>
            {[...new Set([...namespaces, ...(namespace ? [namespace] : [])])].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={q}
            placeholder="name or algorithm"
            onChange={(e) => setParam("q", e.target.value)}
            data-testid="experiment-search"
          />
        </label>
        <span className="muted" aria-live="polite">
          {data ? `${rows.length} of ${allRows.length}` : ""}
        </span>
      </div>
      <ErrorBanner error={error} />
      <ErrorBanner error={actionError?.error} context={actionError?.context} onDismiss={() => setActionError(null)} />
      {loading && !data ? (
        <p className="muted">Loading…</p>
      ) : allRows.length === 0 && !error ? (
        <div className="empty">
          <p>No experiments{namespace ? ` in ${namespace}` : ""} yet.</p>
          <Link to={newUrl} className="button primary">
            Create one from an example
          </Link>
        </div>
      ) : rows.length === 0 ? (
        <div className="empty">No experiment matches “{q}”.</div>
      ) : (
        <div className="table-scroll">
          <table className="data experiments" data-testid="experiment-table" aria-rowcount={rows.length + 1}>
            <caption className="sr-only">Experiments; arrow keys move between rows, Enter opens one.</caption>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    key={c.label}
                    scope="col"
                    className={c.num ? "num" : undefined}
                    aria-sort={c.key && sort.key === c.key ? (sort.desc ? "descending" : "ascending") : undefined}
                  >
                    {c.key ? (
                      <button
                        type="button"
                        className="sort"
                        onClick={() => setParam("sort", formatSort(toggleSort(sort, c.key as SortKey)))}
                      >
                        {c.label}
                        <span aria-hidden="true" className="sort-mark">
                          {sort.key === c.key ? (sort.desc ? " ▼" : " ▲") : ""}
                        </span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody ref={body}>
              {rows.map((r, i) => (
                <tr
                  key={r.key}
                  tabIndex={i === focusIndex ? 0 : -1}
                  className={i === focusIndex ? "focused" : undefined}
                  onFocus={() => setFocus(i)}
                  onKeyDown={(e) => onRowKey(e, i, r)}
                  onDoubleClick={() => navigate(experimentUrl(r.namespace, r.name))}
                  data-testid="experiment-row"
                  data-name={r.name}
                >
                  <td>{r.namespace}</td>
                  <td>
                    <Link to={experimentUrl(r.namespace, r.name)} tabIndex={-1}>
                      {r.name}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge conditions={r.experiment.status?.conditions} />
                  </td>
                  <td>{r.algorithm}</td>
                  <td>
                    {r.metric} <span className="muted">({r.objectiveType})</span>
                  </td>
                  <td className="num" title={r.bestTrial ? `trial ${r.bestTrial}` : undefined}>
                    {formatNumber(r.best)}
                  </td>
                  <td>
                    <ProgressBar counts={r.counts} />
                  </td>
                  <td>
                    <RelativeTime iso={r.created} age />
                  </td>
                  <td>
                    <div className="actions">
                    <button
                      type="button"
                      className="small"
                      disabled={r.finished}
                      onClick={() => setAction({ kind: "stop", row: r })}
                      aria-label={`Stop ${r.name}`}
                    >
                      Stop
                    </button>
                    <button
                      type="button"
                      className="small"
                      onClick={() => setAction({ kind: "delete", row: r })}
                      aria-label={`Delete ${r.name}`}
                      data-testid="delete-experiment"
                    >
                      Delete
                    </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={action !== null}
        title={action?.kind === "delete" ? "Delete experiment?" : "Stop experiment?"}
        message={
          action?.kind === "delete" ? (
            <p>
              Delete <strong>{action.row.name}</strong> in {action.row.namespace} with its{" "}
              {action.row.counts.total} trials? Running trials are killed. This cannot be undone.
            </p>
          ) : (
            <p>
              Stop <strong>{action?.row.name}</strong>? No new trials start and running ones are killed; the
              experiment ends as Succeeded (stopped) and keeps its results.
            </p>
          )
        }
        confirmLabel={action?.kind === "delete" ? "Delete" : "Stop"}
        busy={busy}
        onConfirm={confirm}
        onCancel={() => setAction(null)}
      />
    </section>
  );
}
