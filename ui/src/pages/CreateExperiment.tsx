// Create an experiment: a YAML editor seeded from the bundled examples, a short form for the
// common fields (editing the same YAML), validation as you type with each finding marked at
// its line, Katib's defaults, and submit. URL: /new?example=&namespace=
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { parse } from "yaml";
import type { Diagnostic } from "@codemirror/lint";
import { useAuthVersion } from "../api/auth";
import { api, ApiError } from "../api/client";
import type { Finding, ValidationResult } from "../api/types";
import ConfirmDialog from "../components/ConfirmDialog";
import ErrorBanner from "../components/ErrorBanner";
import YamlEditor, { type YamlEditorHandle } from "./create/YamlEditor";
import { addedDefaults } from "./create/defaults";
import { EXAMPLES, exampleByName } from "./create/examples";
import CommonFields from "./create/CommonFields";
import DefaultsPanel from "./create/DefaultsPanel";
import FindingsList from "./create/FindingsList";
import { applyField, readForm, type FormValues } from "./create/form";
import { causesAsFindings, diagnosticText, findingMarks, sortMarks, syntaxMarks, type Mark } from "./create/marks";

const VALIDATE_DELAY_MS = 400;

function seedText(example: string | null, namespace: string | null): string {
  const text = exampleByName(example)?.yaml ?? "";
  return namespace ? applyField(text, "namespace", namespace) : text;
}

export default function CreateExperiment() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const exampleName = params.get("example") ?? EXAMPLES[0]?.name ?? "";
  const [text, setText] = useState(() => seedText(exampleName, params.get("namespace")));
  const [edited, setEdited] = useState(false);
  const [pendingExample, setPendingExample] = useState<string | null>(null);
  const [result, setResult] = useState<ValidationResult | null>(null);
  const [validating, setValidating] = useState(false);
  const [validateError, setValidateError] = useState<unknown>(null);
  const [submitFindings, setSubmitFindings] = useState<Finding[]>([]);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const authVersion = useAuthVersion();
  const editor = useRef<YamlEditorHandle>(null);

  useEffect(() => {
    document.title = "New experiment · ktune";
    api
      .namespaces()
      .then((l) => setNamespaces(l.items.map((n) => n.metadata.name)))
      .catch(() => setNamespaces([]));
  }, [authVersion]); // a new token: ask again

  const syntax = useMemo(() => syntaxMarks(text), [text]);
  const syntaxErrors = syntax.filter((m) => m.severity === "error");
  const form = useMemo(() => readForm(text), [text]);
  const namespace = form.namespace || params.get("namespace") || "default";

  // Validate as the user types: once the typing pauses, and only the latest reply counts.
  const seq = useRef(0);
  useEffect(() => {
    if (syntaxErrors.length > 0) {
      setResult(null);
      return;
    }
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      setValidating(true);
      api
        .validate(namespace, text)
        .then((r) => {
          if (mine !== seq.current) return;
          setResult(r);
          setValidateError(null);
        })
        .catch((e) => {
          if (mine !== seq.current) return;
          setResult(null);
          setValidateError(e);
        })
        .finally(() => mine === seq.current && setValidating(false));
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, namespace, syntaxErrors.length, authVersion]);

  const marks: Mark[] = useMemo(() => {
    if (syntax.length > 0 && syntaxErrors.length > 0) return sortMarks(syntax);
    const findings = withCauses(result?.findings ?? [], submitFindings);
    return sortMarks([...syntax, ...findingMarks(text, findings)]);
  }, [text, syntax, syntaxErrors.length, result, submitFindings]);

  const diagnostics: Diagnostic[] = useMemo(
    () =>
      marks.map((m) => ({
        from: m.from,
        to: m.to,
        severity: m.severity,
        message: diagnosticText(m),
        source: m.field || "YAML",
      })),
    [marks],
  );

  const onEdit = (t: string) => {
    setText(t);
    setEdited(true);
    setSubmitFindings([]);
    setSubmitError(null);
  };

  const onField = (key: keyof FormValues, value: string) => onEdit(applyField(text, key, value));

  const loadExample = (name: string) => {
    setPendingExample(null);
    setEdited(false);
    setSubmitFindings([]);
    setSubmitError(null);
    setText(seedText(name, params.get("namespace")));
    const next = new URLSearchParams(params);
    next.set("example", name);
    setParams(next, { replace: true });
  };

  const pickExample = (name: string) => (edited ? setPendingExample(name) : loadExample(name));

  const submit = async () => {
    setSubmitting(true);
    setSubmitError(null);
    setSubmitFindings([]);
    try {
      const created = await api.createExperiment(namespace, text);
      const ns = created.metadata?.namespace ?? namespace;
      navigate(`/experiments/${encodeURIComponent(ns)}/${encodeURIComponent(created.metadata.name)}`);
    } catch (e) {
      if (e instanceof ApiError && e.causes.length > 0) setSubmitFindings(causesAsFindings(e.causes));
      setSubmitError(e);
    } finally {
      setSubmitting(false);
    }
  };

  const added = useMemo(() => {
    if (!result?.experiment) return [];
    let draft: unknown;
    try {
      draft = (parse(text) as { spec?: unknown } | null)?.spec;
    } catch {
      return [];
    }
    return addedDefaults(draft, result.experiment.spec);
    // The defaults belong to the reply; the text it answered is close enough to compare.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [result]);

  const errors = marks.filter((m) => m.severity === "error").length;
  const warnings = marks.length - errors;
  const formDisabled = syntaxErrors.length > 0;

  return (
    <section className="create">
      <div className="page-head">
        <h1>New experiment</h1>
        <label className="inline">
          Start from example{" "}
          <select value={exampleName} onChange={(e) => pickExample(e.target.value)} data-testid="example-picker">
            {EXAMPLES.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
      </div>

      <div className="create-layout">
        <CommonFields
          form={form}
          disabled={formDisabled}
          namespaces={namespaces}
          namespacePlaceholder={params.get("namespace") || "default"}
          onField={onField}
        />

        <div className="create-main">
          <YamlEditor ref={editor} value={text} onChange={onEdit} diagnostics={diagnostics} label="Experiment YAML" />
          <div className="validation-status" aria-live="polite">
            {formDisabled
              ? "The YAML does not parse."
              : validating
                ? "Validating…"
                : result
                  ? marks.length === 0
                    ? "Valid: Katib's validation finds nothing wrong."
                    : `${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`
                  : ""}
          </div>
          <ErrorBanner error={validateError} />
          <FindingsList marks={marks} onJump={(m) => editor.current?.jumpTo(m.from, m.to)} />
          {submitError !== null && !(submitError instanceof ApiError && submitError.causes.length > 0) && (
            <ErrorBanner error={submitError} />
          )}
          {submitError instanceof ApiError && submitError.causes.length > 0 && (
            <div className="error-banner" role="alert">
              The server rejected the experiment: {submitError.causes.length} problem
              {submitError.causes.length === 1 ? "" : "s"}, marked above.
            </div>
          )}
          <div className="submit-row">
            <button
              type="button"
              className="primary"
              onClick={submit}
              disabled={submitting || formDisabled}
              data-testid="submit-experiment"
            >
              {submitting ? "Creating…" : "Create experiment"}
            </button>
            <span className="muted">in namespace {namespace}</span>
          </div>
          <DefaultsPanel experiment={result?.experiment} added={added} />
        </div>
      </div>

      <ConfirmDialog
        open={pendingExample !== null}
        title="Replace your edits?"
        message={`Loading the example “${pendingExample ?? ""}” replaces the YAML you edited.`}
        confirmLabel="Replace"
        onConfirm={() => pendingExample && loadExample(pendingExample)}
        onCancel={() => setPendingExample(null)}
      />
    </section>
  );
}

// A rejected create's causes, added to the validation's findings where those do not already
// cover the field (the server words a cause as the finding's message plus its hint).
function withCauses(findings: Finding[], causes: Finding[]): Finding[] {
  const covered = new Set(findings.map((f) => f.field));
  return [...findings, ...causes.filter((c) => !covered.has(c.field))];
}
