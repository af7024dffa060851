// What Katib's defaulting adds to a draft: every leaf of the defaulted spec that the draft does
// not set, with its field path, so the create page can say "filled in by Katib".
export interface AddedDefault {
  path: string; // e.g. "spec.objective.metricStrategies[0].value"
  value: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function walk(draft: unknown, defaulted: unknown, path: string, out: AddedDefault[]) {
  if (draft === undefined || draft === null) {
    // The draft lacks this whole subtree: report it at its root unless it is a small object,
    // whose leaves read better one by one.
    if (isObject(defaulted) && Object.keys(defaulted).length <= 3) {
      for (const [k, v] of Object.entries(defaulted)) walk(undefined, v, `${path}.${k}`, out);
    } else {
      out.push({ path, value: defaulted });
    }
    return;
  }
  if (isObject(defaulted) && isObject(draft)) {
    for (const [k, v] of Object.entries(defaulted)) walk(draft[k], v, `${path}.${k}`, out);
  } else if (Array.isArray(defaulted) && Array.isArray(draft)) {
    defaulted.forEach((v, i) => walk(draft[i], v, `${path}[${i}]`, out));
  }
}

// Leaves of `defaulted` absent from `draft` (values the draft sets differently are the draft's).
export function addedDefaults(draft: unknown, defaulted: unknown, root = "spec"): AddedDefault[] {
  const out: AddedDefault[] = [];
  walk(draft, defaulted, root, out);
  return out;
}
