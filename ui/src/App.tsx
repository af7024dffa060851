// Routes (every page has its own URL; the server answers them all with index.html):
//   /                                     experiments list (?namespace=&q=&sort=)
//   /new                                  create an experiment (?namespace=&example=)
//   /experiments/:ns/:name                one experiment (?tab=overview|trials|plots|yaml)
//   /experiments/:ns/:name/trials/:trial  one trial
import { lazy, Suspense, useEffect } from "react";
import { Link, NavLink, Route, Routes } from "react-router-dom";
import ExperimentList from "./pages/ExperimentList";
import ExperimentPage from "./pages/ExperimentPage";
import Breadcrumbs from "./components/Breadcrumbs";
import LiveIndicator from "./components/LiveIndicator";
import TokenPrompt from "./components/TokenPrompt";
import { useChanges } from "./api/live";
import { askForToken, clearToken, dismissPrompt, useAuth } from "./api/auth";

// The editor (CodeMirror) and the trial page's chart (ECharts) load with their pages, so the
// list and experiment pages start without them (bench/README.md, "Web UI").
const CreateExperiment = lazy(() => import("./pages/CreateExperiment"));
const TrialPage = lazy(() => import("./pages/TrialPage"));

// Opens the event stream as soon as the app starts, so the indicator is true on every page.
function useEventStream() {
  useChanges(
    () => false,
    () => {},
  );
}

export default function App() {
  useEventStream();
  const auth = useAuth();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          ktune
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Experiments
          </NavLink>
          <NavLink to="/new">New experiment</NavLink>
        </nav>
        <span className="spacer" />
        <LiveIndicator />
        {auth.needed && auth.dismissed && (
          <button type="button" className="small" onClick={askForToken}>
            Enter token
          </button>
        )}
        {auth.token && (
          <button type="button" className="small" onClick={clearToken} title="Forget the token">
            Sign out
          </button>
        )}
      </header>
      <Breadcrumbs />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/" element={<ExperimentList />} />
          <Route path="/new" element={<CreateExperiment />} />
          <Route path="/experiments/:ns/:name" element={<ExperimentPage />} />
          <Route path="/experiments/:ns/:name/trials/:trial" element={<TrialPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
        </Suspense>
      </main>
      {auth.needed && !auth.dismissed && (
        // A new prompt per token version: a refused token starts with the reason.
        <TokenPrompt key={auth.version} refused={auth.refused} onCancel={dismissPrompt} />
      )}
    </div>
  );
}

function NotFound() {
  useEffect(() => {
    document.title = "Not found · ktune";
  }, []);
  return (
    <section>
      <h1>No such page</h1>
      <p>
        <Link to="/">Back to the experiments</Link>
      </p>
    </section>
  );
}
