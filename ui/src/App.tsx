// Routes (every page has its own URL; the server answers them all with index.html):
//   /                                     experiments list (?namespace=&q=)
//   /new                                  create an experiment (?namespace=&example=)
//   /experiments/:ns/:name                one experiment (?tab=overview|trials|plots|yaml)
//   /experiments/:ns/:name/trials/:trial  one trial
import { Link, Route, Routes } from "react-router-dom";
import ExperimentList from "./pages/ExperimentList";
import CreateExperiment from "./pages/CreateExperiment";
import ExperimentPage from "./pages/ExperimentPage";
import TrialPage from "./pages/TrialPage";

export default function App() {
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          ktune
        </Link>
        <nav>
          <Link to="/">Experiments</Link>
          <Link to="/new">New experiment</Link>
        </nav>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<ExperimentList />} />
          <Route path="/new" element={<CreateExperiment />} />
          <Route path="/experiments/:ns/:name" element={<ExperimentPage />} />
          <Route path="/experiments/:ns/:name/trials/:trial" element={<TrialPage />} />
          <Route path="*" element={<p>No such page.</p>} />
        </Routes>
      </main>
    </div>
  );
}
