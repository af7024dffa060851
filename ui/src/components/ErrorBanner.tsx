// An error from the API: the server's message and, for a rejected object, each field cause.
import { ApiError } from "../api/client";

interface Props {
  error: unknown;
  // What was being done, e.g. "Could not stop quickstart".
  context?: string;
  onDismiss?: () => void;
}

export default function ErrorBanner({ error, context, onDismiss }: Props) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError && error.code > 0 ? ` (HTTP ${error.code})` : "";
  const causes = error instanceof ApiError ? error.causes : [];
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <div className="error-message">
        {context ? `${context}: ` : ""}
        {message}
        {code}
      </div>
      {causes.length > 0 && (
        <ul>
          {causes.map((c, i) => (
            <li key={i}>
              {c.field && <code>{c.field}</code>} {c.message}
            </li>
          ))}
        </ul>
      )}
      {onDismiss && (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
