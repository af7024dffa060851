// Asks for the server's bearer token (the content of the file given to
// `ktune server --token-file`). The token is checked with the server before it is taken; a
// refused one keeps the dialog open with the reason. Escape or Cancel closes it and leaves the
// page as it was (showing the 401). Focus moves to the input, Tab cycles inside the dialog and
// returns where it was on close.
import { useId, useRef, useState, type FormEvent } from "react";
import { setToken } from "../api/auth";
import { tokenAccepted } from "../api/client";
import { useModalFocus } from "./useModalFocus";

interface Props {
  // The server refused the token in use (it was wrong, or the server's file changed).
  refused: boolean;
  onCancel: () => void;
}

export default function TokenPrompt({ refused, onCancel }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const { panel, onKeyDown } = useModalFocus(true, input, onCancel);
  const titleId = useId();
  const bodyId = useId();
  const inputId = useId();
  const [value, setValue] = useState("");
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(refused ? "The server refused this token." : "");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (!token) {
      setError("Enter the token.");
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError("");
    try {
      if (await tokenAccepted(token)) {
        setToken(token, remember);
        return;
      }
      setError("The server refused this token.");
    } catch (err) {
      setError(`The token could not be checked: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
    input.current?.select();
    input.current?.focus();
  };

  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => e.target === e.currentTarget && onCancel()}
    >
      <div
        ref={panel}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        data-testid="token-prompt"
      >
        <h2 id={titleId}>This server needs a token</h2>
        <form className="token-form" onSubmit={submit} noValidate>
          <p id={bodyId} className="dialog-body">
            It was started with <code>ktune server --token-file FILE</code>: enter the content of
            that file. Ask whoever runs the server for it.
          </p>
          <label htmlFor={inputId}>Token</label>
          <input
            ref={input}
            id={inputId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-invalid={error !== ""}
            aria-describedby={error ? `${inputId}-error` : undefined}
            disabled={busy}
          />
          <label className="token-remember">
            <input
              type="checkbox"
              checked={remember}
              onChange={(e) => setRemember(e.target.checked)}
            />
            Remember on this device
          </label>
          <p className="muted token-note">
            {remember
              ? "Kept in this browser until you sign out."
              : "Kept for this tab only, until it is closed."}
          </p>
          {error && (
            <div id={`${inputId}-error`} className="error-banner" role="alert">
              {error}
            </div>
          )}
          <div className="dialog-actions">
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Checking…" : "Sign in"}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
