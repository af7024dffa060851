// Findings (from the server's draft validation, a rejected create's causes, or the YAML
// parser) placed in the source: each with its range, line and the text the editor shows.
import { parseDocument } from "yaml";
import type { Finding, StatusCause } from "../../api/types";
import { locatePath, parseFieldPath, yamlProblems } from "../../yamlPaths";

export interface Mark {
  field: string; // "" for the whole document or a YAML syntax problem
  severity: "error" | "warning";
  message: string;
  hint?: string;
  from: number;
  to: number;
  line: number;
  exact: boolean; // false when marked at an ancestor (the field is missing)
  source: "katib" | "yaml";
}

// The YAML parser's own problems; empty when `src` parses.
export function syntaxMarks(src: string): Mark[] {
  const doc = parseDocument(src);
  return yamlProblems(doc, src).map((p) => ({
    field: "",
    severity: p.severity,
    message: p.message,
    from: p.from,
    to: p.to,
    line: p.line,
    exact: true,
    source: "yaml",
  }));
}

export function findingMarks(src: string, findings: Finding[]): Mark[] {
  const doc = parseDocument(src, { keepSourceTokens: true });
  return findings.map((f) => {
    const loc = locatePath(doc, src, parseFieldPath(f.field ?? ""));
    return {
      field: f.field ?? "",
      severity: f.severity === "warning" ? "warning" : "error",
      message: f.message,
      hint: f.hint || undefined,
      from: loc.from,
      to: loc.to,
      line: loc.line,
      exact: loc.exact,
      source: "katib",
    };
  });
}

// A denied create's causes as findings (message without the field prefix Katib's status adds
// only in its top-level message).
export function causesAsFindings(causes: StatusCause[]): Finding[] {
  return causes.map((c) => ({ severity: "error", field: c.field ?? "", message: c.field ? `${c.field}: ${c.message ?? ""}` : (c.message ?? "") }));
}

// The text of an editor diagnostic: Katib's message, then the hint on its own line.
export function diagnosticText(m: Mark): string {
  const where = m.exact || !m.field ? "" : `\n(${m.field} is not in the YAML; marked at its parent)`;
  return m.message + (m.hint ? `\nHint: ${m.hint}` : "") + where;
}

// Marks in reading order (by line), errors before warnings on one line.
export function sortMarks(marks: Mark[]): Mark[] {
  return [...marks].sort((a, b) => a.line - b.line || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}
