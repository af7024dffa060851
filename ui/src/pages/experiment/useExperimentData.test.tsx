// @vitest-environment jsdom
// The experiment page's live data against a fake server: one full load, then ONE
// `trialtable?since=` per batch of changes however many trials changed, merged by name.
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChangeEvent, TrialTable } from "../../api/types";
import { row, table } from "../../transforms/fixtures";
import { useExperimentData } from "./useExperimentData";

class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  onerror: (() => void) | null = null;
  onopen: (() => void) | null = null;
  constructor(public url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, l: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  close() {}
  emit(change: ChangeEvent) {
    for (const l of this.listeners.get("change") ?? [])
      l({ data: JSON.stringify(change) } as MessageEvent);
  }
}

const experiment = {
  apiVersion: "kubeflow.org/v1beta1",
  kind: "Experiment",
  metadata: { name: "exp", namespace: "default" },
  spec: {},
};

let requests: string[] = [];
let nextTable: (since: string | null) => TrialTable;

beforeEach(() => {
  requests = [];
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string) => {
      requests.push(input);
      const u = new URL(input, "http://x");
      const body = u.pathname.endsWith("/trialtable")
        ? nextTable(u.searchParams.get("since"))
        : experiment;
      return new Response(JSON.stringify(body), { status: 200 });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const change = (name: string, rv: number, kind = "Trial", experimentName = "exp"): ChangeEvent => ({
  type: "MODIFIED",
  kind,
  namespace: "default",
  name,
  experiment: experimentName,
  resourceVersion: String(rv),
});

describe("useExperimentData", () => {
  it("loads once, then fetches one since-update per batch and merges it", async () => {
    nextTable = () =>
      table([row("a", { phase: "Running" }), row("b", { phase: "Running" })], {
        resourceVersion: "10",
      });
    const { result } = renderHook(() => useExperimentData("default", "exp"));
    await waitFor(() => expect(result.current.table?.trials.length).toBe(2));
    expect(requests.filter((r) => r.includes("/trialtable"))).toHaveLength(1);
    expect(result.current.experiment?.metadata.name).toBe("exp");

    nextTable = (since) => {
      expect(since).toBe("10");
      return table(
        [row("a", { phase: "Succeeded", objective: 1 }), row("c", { phase: "Created" })],
        {
          complete: false,
          resourceVersion: "14",
          deleted: ["b"],
        },
      );
    };
    act(() => {
      // a burst: three trials and a trial of another experiment (ignored)
      FakeEventSource.last!.emit(change("a", 11));
      FakeEventSource.last!.emit(change("b", 12));
      FakeEventSource.last!.emit(change("c", 13));
      FakeEventSource.last!.emit(change("z", 13, "Trial", "other"));
    });
    await waitFor(() => expect(result.current.table?.resourceVersion).toBe("14"));
    expect(result.current.table!.trials.map((t) => [t.name, t.phase])).toEqual([
      ["a", "Succeeded"],
      ["c", "Created"],
    ]);
    const since = requests.filter((r) => r.includes("since="));
    expect(since).toHaveLength(1);
    expect(requests.filter((r) => !r.includes("/trialtable"))).toHaveLength(1); // the experiment, once
  });

  it("an experiment change refetches only the experiment; its deletion marks the page gone", async () => {
    nextTable = () => table([row("a")], { resourceVersion: "5" });
    const { result } = renderHook(() => useExperimentData("default", "exp"));
    await waitFor(() => expect(result.current.table).toBeDefined());
    act(() => FakeEventSource.last!.emit(change("exp", 6, "Experiment")));
    await waitFor(() => expect(requests.filter((r) => !r.includes("/trialtable"))).toHaveLength(2));
    expect(requests.filter((r) => r.includes("/trialtable"))).toHaveLength(1);
    act(() => FakeEventSource.last!.emit({ ...change("exp", 7, "Experiment"), type: "DELETED" }));
    await waitFor(() => expect(result.current.gone).toBe(true));
  });
});
