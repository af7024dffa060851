// Routes (every page has its own URL; the server answers them all with index.html):
//   /                                     experiments list (?namespace=&q=&sort=)
//   /new                                  create an experiment (?namespace=&example=)
//   /experiments/:ns/:name                one experiment (?tab=overview|trials|plots|yaml)
//   /experiments/:ns/:name/trials/:trial  one trial
import { useEffect } from "react";
import { Link, NavLink, Route, Routes } from "react-router-dom";
import ExperimentList from "./pages/ExperimentList";
import CreateExperiment from "./pages/CreateExperiment";
import ExperimentPage from "./pages/ExperimentPage";
import TrialPage from "./pages/TrialPage";
import Breadcrumbs from "./components/Breadcrumbs";
import LiveIndicator from "./components/LiveIndicator";
import TokenPrompt from "./components/TokenPrompt";
import { useChanges } from "./api/live";
import { askForToken, clearToken, dismissPrompt, useAuth } from "./api/auth";

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
        <Routes>
          <Route path="/" element={<ExperimentList />} />
          <Route path="/new" element={<CreateExperiment />} />
          <Route path="/experiments/:ns/:name" element={<ExperimentPage />} />
          <Route path="/experiments/:ns/:name/trials/:trial" element={<TrialPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
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
