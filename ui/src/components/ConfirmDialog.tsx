// A modal confirmation: focus moves into it (to Cancel, the safe choice), Tab cycles inside
// it, Escape or a click on the backdrop cancels, and focus returns where it was on close.
import { useId, useRef, type ReactNode } from "react";
import { useModalFocus } from "./useModalFocus";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  // A destructive action's confirm button is red.
  danger?: boolean;
  busy?: boolean;
}

export default function ConfirmDialog(props: ConfirmDialogProps) {
  const { open, title, message, confirmLabel, onConfirm, onCancel, danger = true, busy = false } = props;
  const cancelRef = useRef<HTMLButtonElement>(null);
  const { panel, onKeyDown } = useModalFocus(open, cancelRef, onCancel);
  const titleId = useId();
  const bodyId = useId();

  if (!open) return null;

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={panel}
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        data-testid="confirm-dialog"
      >
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} className="dialog-body">
          {message}
        </div>
        <div className="dialog-actions">
          <button type="button" ref={cancelRef} onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? "danger" : "primary"}
            onClick={onConfirm}
            disabled={busy}
            data-testid="confirm-button"
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
