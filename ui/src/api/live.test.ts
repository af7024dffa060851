// @vitest-environment jsdom
// live.ts against a scripted fetch: the event stream's requests carry the token and, after a
// drop, Last-Event-ID; a 401 stops it until a token is set, which refetches everything.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ChangeEvent } from "./types";

interface Call {
  headers: Headers;
  signal: AbortSignal;
}

// A reply per connection: a status and the stream's text (kept open when `open`).
interface Script {
  status?: number;
  text?: string;
  open?: boolean;
}

let calls: Call[];
let scripts: Script[];

function reply(s: Script, signal: AbortSignal): Response {
  if (s.status && s.status !== 200) return new Response("{}", { status: s.status });
  const bytes = new TextEncoder().encode(s.text ?? "");
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      if (!s.open) controller.close();
      else signal.addEventListener("abort", () => controller.error(new DOMException("", "AbortError")));
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

beforeEach(() => {
  vi.resetModules();
  sessionStorage.clear();
  localStorage.clear();
  calls = [];
  scripts = [];
  vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
    const signal = init.signal as AbortSignal;
    calls.push({ headers: new Headers(init.headers), signal });
    return reply(scripts.shift() ?? { open: true }, signal);
  });
});

afterEach(async () => {
  cleanup(); // unsubscribes: the module's stream stops
  await new Promise((r) => setTimeout(r, 10));
  vi.unstubAllGlobals();
});

function change(name: string): string {
  const c: ChangeEvent = {
    type: "ADDED",
    kind: "Experiment",
    namespace: "default",
    name,
    experiment: name,
    resourceVersion: "5",
  };
  return JSON.stringify(c);
}

describe("reconnectDelay", () => {
  it("waits the server's retry, doubled per failure in a row, capped", async () => {
    const { reconnectDelay } = await import("./live");
    expect(reconnectDelay(2000, 0)).toBe(2000);
    expect(reconnectDelay(2000, 1)).toBe(4000);
    expect(reconnectDelay(2000, 3)).toBe(16000);
    expect(reconnectDelay(2000, 4)).toBe(30000);
    expect(reconnectDelay(2000, 100)).toBe(30000);
    expect(reconnectDelay(0, 5)).toBe(0);
  });
});

describe("the event stream", () => {
  it("sends the token and resumes after a drop with Last-Event-ID", async () => {
    const auth = await import("./auth");
    const live = await import("./live");
    auth.setToken("secret", false);
    const hello = `retry: 5\nevent: hello\ndata: {"resourceVersion":"3"}\n\n`;
    scripts.push({ text: `${hello}id: 5\nevent: change\ndata: ${change("a")}\n\n` });
    const got: string[] = [];
    const { unmount } = renderHook(() =>
      live.useChanges(
        () => true,
        (b) => got.push(...b.map((c) => c.name)),
      ),
    );
    await waitFor(() => expect(calls.length).toBe(2));
    expect(calls[0].headers.get("Authorization")).toBe("Bearer secret");
    expect(calls[0].headers.get("Last-Event-ID")).toBeNull();
    expect(calls[1].headers.get("Authorization")).toBe("Bearer secret");
    expect(calls[1].headers.get("Last-Event-ID")).toBe("5");
    await waitFor(() => expect(got).toEqual(["a"]));
    // No subscriber left: the stream is closed.
    unmount();
    await waitFor(() => expect(calls[1].signal.aborted).toBe(true));
  });

  it("resumes from the hello's revision when no change came", async () => {
    const live = await import("./live");
    scripts.push({ text: `retry: 5\nevent: hello\ndata: {"resourceVersion":"9"}\n\n: ping\n\n` });
    renderHook(() => live.useChanges(() => true, () => {}));
    await waitFor(() => expect(calls.length).toBe(2));
    expect(calls[0].headers.get("Authorization")).toBeNull();
    expect(calls[1].headers.get("Last-Event-ID")).toBe("9");
  });

  it("stops on 401 until a token is set, then refetches everything", async () => {
    const auth = await import("./auth");
    const live = await import("./live");
    scripts.push({ status: 401 });
    const kinds: string[] = [];
    renderHook(() => live.useChanges(() => false, (b) => kinds.push(...b.map((c) => c.kind))));
    await waitFor(() => expect(auth.authState().needed).toBe(true));
    expect(auth.authState().refused).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.length).toBe(1);
    auth.setToken("t2", true);
    await waitFor(() => expect(calls.length).toBe(2));
    expect(calls[1].headers.get("Authorization")).toBe("Bearer t2");
    await waitFor(() => expect(kinds).toEqual(["*"]));
    expect(localStorage.getItem("ktune.token")).toBe("t2");
  });

  it("starts over on expired and tells subscribers to refetch", async () => {
    const live = await import("./live");
    const hello = `event: hello\ndata: {"resourceVersion":"3"}\n\n`;
    const expired = "event: expired\ndata: {}\n\n";
    scripts.push({ text: `${hello}id: 4\nevent: change\ndata: ${change("b")}\n\n${expired}` });
    const kinds: string[] = [];
    renderHook(() => live.useChanges(() => true, (b) => kinds.push(...b.map((c) => c.kind))));
    await waitFor(() => expect(calls.length).toBe(2), { timeout: 3000 });
    expect(calls[1].headers.get("Last-Event-ID")).toBeNull();
    expect(kinds).toEqual(["Experiment", "*"]);
  });
});
