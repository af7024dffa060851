// The create page's short form for the common fields; each edit goes into the YAML (see form.ts).
import { ALGORITHMS, type FormValues } from "./form";

interface Props {
  form: FormValues;
  disabled: boolean; // the YAML does not parse
  namespaces: string[];
  namespacePlaceholder: string;
  onField: (key: keyof FormValues, value: string) => void;
}

export default function CommonFields({ form, disabled, namespaces, namespacePlaceholder, onField }: Props) {
  return (
    <form className="create-form panel" onSubmit={(e) => e.preventDefault()} aria-label="Common fields">
      <fieldset disabled={disabled}>
        <legend>Common fields</legend>
        {disabled && <p className="muted small">Fix the YAML syntax to use the form.</p>}
        <TextField label="Name" value={form.name} onChange={(v) => onField("name", v)} />
        <label>
          Namespace
          <input
            type="text"
            list="create-namespaces"
            value={form.namespace}
            placeholder={namespacePlaceholder}
            onChange={(e) => onField("namespace", e.target.value)}
          />
          <datalist id="create-namespaces">
            {namespaces.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </label>
        <label>
          Algorithm
          <select value={form.algorithm} onChange={(e) => onField("algorithm", e.target.value)}>
            {!ALGORITHMS.includes(form.algorithm as (typeof ALGORITHMS)[number]) && (
              <option value={form.algorithm}>{form.algorithm || "(none)"}</option>
            )}
            {ALGORITHMS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Objective
          <select value={form.objectiveType} onChange={(e) => onField("objectiveType", e.target.value)}>
            {!["minimize", "maximize"].includes(form.objectiveType) && (
              <option value={form.objectiveType}>{form.objectiveType || "(none)"}</option>
            )}
            <option value="minimize">minimize</option>
            <option value="maximize">maximize</option>
          </select>
        </label>
        <TextField label="Objective metric" value={form.objectiveMetric} onChange={(v) => onField("objectiveMetric", v)} />
        <TextField label="Goal" value={form.goal} numeric onChange={(v) => onField("goal", v)} />
        <TextField label="Max trials" value={form.maxTrialCount} numeric onChange={(v) => onField("maxTrialCount", v)} />
        <TextField
          label="Parallel trials"
          value={form.parallelTrialCount}
          numeric
          onChange={(v) => onField("parallelTrialCount", v)}
        />
        <TextField
          label="Max failed trials"
          value={form.maxFailedTrialCount}
          numeric
          onChange={(v) => onField("maxFailedTrialCount", v)}
        />
      </fieldset>
    </form>
  );
}

function TextField(props: { label: string; value: string; numeric?: boolean; onChange: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <input
        type="text"
        inputMode={props.numeric ? "decimal" : undefined}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}
