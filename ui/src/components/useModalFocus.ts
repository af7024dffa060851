// The keyboard behaviour every modal dialog shares: while `open`, focus moves to `initial`,
// Tab and Shift+Tab cycle inside the panel, Escape calls `onCancel`, and focus returns to
// where it was when the dialog closes. Put `panel` on the dialog's element and `onKeyDown`
// on the same element.
import { useEffect, useRef, type KeyboardEvent, type RefObject } from "react";

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

export function useModalFocus(
  open: boolean,
  initial: RefObject<HTMLElement>,
  onCancel: () => void,
): { panel: RefObject<HTMLDivElement>; onKeyDown: (e: KeyboardEvent) => void } {
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const previous = document.activeElement as HTMLElement | null;
    initial.current?.focus();
    return () => previous?.focus?.();
  }, [open, initial]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onCancel();
      return;
    }
    if (e.key !== "Tab" || !panel.current) return;
    const items = Array.from(panel.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return { panel, onKeyDown };
}
