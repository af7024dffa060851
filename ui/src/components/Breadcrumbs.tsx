// Where a page sits: Experiments › namespace › experiment › trial, from the URL alone.
import { Link, useLocation } from "react-router-dom";

interface Crumb {
  label: string;
  to?: string;
}

export function crumbsFor(pathname: string): Crumb[] {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const crumbs: Crumb[] = [{ label: "Experiments", to: "/" }];
  if (parts[0] === "new") crumbs.push({ label: "New experiment" });
  if (parts[0] === "experiments" && parts.length >= 3) {
    const [, ns, name] = parts;
    crumbs.push({ label: ns, to: `/?namespace=${encodeURIComponent(ns)}` });
    crumbs.push({ label: name, to: `/experiments/${encodeURIComponent(ns)}/${encodeURIComponent(name)}` });
    if (parts[3] === "trials" && parts[4]) crumbs.push({ label: parts[4] });
  }
  // The last crumb is the current page: not a link.
  const last = crumbs[crumbs.length - 1];
  if (crumbs.length > 1) delete last.to;
  return crumbs;
}

export default function Breadcrumbs() {
  const { pathname } = useLocation();
  const crumbs = crumbsFor(pathname);
  if (crumbs.length <= 1) return null;
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        {crumbs.map((c, i) => (
          <li key={i}>
            {c.to ? <Link to={c.to}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}
