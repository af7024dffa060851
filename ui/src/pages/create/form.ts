// The create page's short form: the common fields read from and written into the YAML
// through `yaml`'s Document API, so the rest of the text (comments, order, quoting) survives.
import { isScalar, parseDocument, Scalar, stringify, type Document } from "yaml";

export const ALGORITHMS = ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "sobol"] as const;

export interface FormField {
  key: keyof FormValues;
  path: string[];
  numeric: boolean;
}

export interface FormValues {
  name: string;
  namespace: string;
  algorithm: string;
  objectiveType: string;
  objectiveMetric: string;
  goal: string;
  maxTrialCount: string;
  parallelTrialCount: string;
  maxFailedTrialCount: string;
}

export const FIELDS: FormField[] = [
  { key: "name", path: ["metadata", "name"], numeric: false },
  { key: "namespace", path: ["metadata", "namespace"], numeric: false },
  { key: "algorithm", path: ["spec", "algorithm", "algorithmName"], numeric: false },
  { key: "objectiveType", path: ["spec", "objective", "type"], numeric: false },
  { key: "objectiveMetric", path: ["spec", "objective", "objectiveMetricName"], numeric: false },
  { key: "goal", path: ["spec", "objective", "goal"], numeric: true },
  { key: "maxTrialCount", path: ["spec", "maxTrialCount"], numeric: true },
  { key: "parallelTrialCount", path: ["spec", "parallelTrialCount"], numeric: true },
  { key: "maxFailedTrialCount", path: ["spec", "maxFailedTrialCount"], numeric: true },
];

function scalarText(doc: Document, path: string[]): string {
  const v = doc.getIn(path);
  if (v === undefined || v === null) return "";
  if (typeof v === "object") return "";
  return String(v);
}

// The form's values as the YAML has them ("" where a field is absent).
export function readForm(src: string): FormValues {
  const doc = parseDocument(src);
  const out = {} as FormValues;
  for (const f of FIELDS) out[f.key] = scalarText(doc, f.path);
  return out;
}

// `src` with one form field set (or removed when `value` is empty). Numeric fields become
// YAML numbers when they parse as one, so a typo still reaches the validator as written.
// Returns `src` unchanged when it does not parse: the form does not fight a broken YAML.
export function applyField(src: string, key: keyof FormValues, value: string): string {
  const field = FIELDS.find((f) => f.key === key);
  if (!field) return src;
  const doc = parseDocument(src);
  if (doc.errors.length > 0) return src;
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const trimmed = value.trim();
  const asNumber = Number(trimmed);
  const v = field.numeric && trimmed !== "" && Number.isFinite(asNumber) ? asNumber : value;
  const existing = doc.getIn(field.path, true);
  // An existing scalar is replaced in the text itself: nothing else moves.
  if (trimmed !== "" && isScalar(existing) && existing.range) {
    const [start, end] = existing.range;
    return src.slice(0, start) + scalarSource(v, existing.type) + src.slice(end);
  }
  if (trimmed === "") {
    if (!doc.hasIn(field.path)) return src;
    doc.deleteIn(field.path);
  } else {
    doc.setIn(field.path, v);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

// A value as YAML source, keeping the original's quoting where it was quoted.
function scalarSource(v: string | number, type: Scalar.Type | undefined): string {
  if (typeof v === "number") return String(v);
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(v);
  if (type === Scalar.QUOTE_SINGLE) return `'${v.replace(/'/g, "''")}'`;
  return stringify(v, { lineWidth: 0 }).trimEnd();
}
