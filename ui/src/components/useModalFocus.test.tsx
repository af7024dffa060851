// @vitest-environment jsdom
// A modal's keyboard behaviour: focus moves in, Tab cycles inside, Escape cancels, and focus
// returns where it was on close.
import { act, cleanup, fireEvent, render } from "@testing-library/react";
import { useRef } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useModalFocus } from "./useModalFocus";

function Dialog({ open, onCancel }: { open: boolean; onCancel: () => void }) {
  const second = useRef<HTMLButtonElement>(null);
  const { panel, onKeyDown } = useModalFocus(open, second, onCancel);
  if (!open) return null;
  return (
    <div ref={panel} onKeyDown={onKeyDown} data-testid="panel">
      <button type="button">first</button>
      <button type="button" ref={second}>
        second
      </button>
      <input disabled aria-label="off" />
      <button type="button">last</button>
    </div>
  );
}

function Page({ open, onCancel }: { open: boolean; onCancel: () => void }) {
  return (
    <>
      <button type="button">outside</button>
      <Dialog open={open} onCancel={onCancel} />
    </>
  );
}

afterEach(cleanup);

describe("useModalFocus", () => {
  it("focuses the initial element, cycles Tab inside and gives focus back on close", () => {
    const onCancel = vi.fn();
    const view = render(<Page open={false} onCancel={onCancel} />);
    const outside = view.getByText("outside");
    outside.focus();
    view.rerender(<Page open onCancel={onCancel} />);
    expect(document.activeElement).toBe(view.getByText("second"));

    const panel = view.getByTestId("panel");
    view.getByText("last").focus();
    fireEvent.keyDown(panel, { key: "Tab" });
    expect(document.activeElement).toBe(view.getByText("first"));
    fireEvent.keyDown(panel, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(view.getByText("last"));
    // In the middle Tab is left to the browser.
    view.getByText("second").focus();
    expect(fireEvent.keyDown(panel, { key: "Tab" })).toBe(true);
    expect(onCancel).not.toHaveBeenCalled();

    fireEvent.keyDown(panel, { key: "Escape" });
    expect(onCancel).toHaveBeenCalledTimes(1);
    act(() => view.rerender(<Page open={false} onCancel={onCancel} />));
    expect(document.activeElement).toBe(outside);
  });
});
