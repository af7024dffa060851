// Every problem found in the YAML, in line order, each a button that moves the editor there.
import type { Mark } from "./marks";

export default function FindingsList({ marks, onJump }: { marks: Mark[]; onJump: (m: Mark) => void }) {
  if (marks.length === 0) return null;
  return (
    <ol className="findings" aria-label="Problems">
      {marks.map((m, i) => (
        <li key={i} data-testid="finding" data-field={m.field} data-line={m.line}>
          <button type="button" className="finding" onClick={() => onJump(m)}>
            <span className={`badge tone-${m.severity === "error" ? "bad" : "warn"}`}>{m.severity}</span>
            <span className="finding-line">line {m.line}</span>
            {m.field && <code className="finding-field">{m.field}</code>}
            <span className="finding-message">{m.message}</span>
            {m.hint && <span className="finding-hint">Hint: {m.hint}</span>}
            {!m.exact && m.field && <span className="finding-hint">not in the YAML: marked at its parent</span>}
          </button>
        </li>
      ))}
    </ol>
  );
}
