// An error from the API: the server's message and, for a rejected object, each field cause.
import { ApiError } from "../api/client";

export default function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const causes = error instanceof ApiError ? error.causes : [];
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <div className="error-message">{message}</div>
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
