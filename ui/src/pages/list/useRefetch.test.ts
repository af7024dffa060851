// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { act, renderHook, waitFor } from "@testing-library/react";
import { useRefetch } from "./useRefetch";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("useRefetch", () => {
  it("coalesces a burst of refetches into one more load after the one in flight", async () => {
    const pending: { resolve: (v: number) => void }[] = [];
    let calls = 0;
    const load = () => {
      calls++;
      const d = deferred<number>();
      pending.push(d);
      return d.promise;
    };
    const { result } = renderHook(() => useRefetch(load, []));
    expect(calls).toBe(1);
    act(() => {
      for (let i = 0; i < 50; i++) result.current.refetch();
    });
    expect(calls).toBe(1); // still the first one in flight
    await act(async () => pending[0].resolve(1));
    await waitFor(() => expect(calls).toBe(2));
    await act(async () => pending[1].resolve(2));
    await waitFor(() => expect(result.current.data).toBe(2));
    expect(calls).toBe(2);
  });

  it("drops a reply for inputs that have changed", async () => {
    const replies = new Map<string, { resolve: (v: string) => void }>();
    const { result, rerender } = renderHook(({ ns }) =>
      useRefetch(() => {
        const d = deferred<string>();
        replies.set(ns, d);
        return d.promise;
      }, [ns]),
    { initialProps: { ns: "a" } });
    rerender({ ns: "b" });
    await act(async () => replies.get("a")!.resolve("from a"));
    await waitFor(() => expect(replies.has("b")).toBe(true));
    expect(result.current.data).toBeUndefined();
    await act(async () => replies.get("b")!.resolve("from b"));
    await waitFor(() => expect(result.current.data).toBe("from b"));
  });
});
