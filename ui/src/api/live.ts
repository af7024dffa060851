// One stream of /apis/ktune.dev/v1/events for the whole page; components subscribe with a
// filter and get the matching changes, batched per animation frame, so a burst of thousands of
// changes costs one refresh per subscriber, not one per change.
//
// The stream is read with fetch (EventSource cannot send the Authorization header) and parsed
// by sse.ts. After a drop it reconnects with Last-Event-ID (the last change's id, or the
// revision the server's hello started from) after the server's `retry` delay, doubled on each
// failure in a row up to MAX_BACKOFF_MS. A 401 stops it until the token changes. A token change
// reconnects and sends every subscriber a kind "*" change, so each page fetches again.
import { useEffect, useRef } from "react";
import { authHeaders, authState, currentToken, noteUnauthorized, onAuthChange } from "./auth";
import { KTUNE } from "./client";
import { SseParser, type SseEvent } from "./sse";
import type { ChangeEvent } from "./types";

type Listener = (changes: ChangeEvent[]) => void;
type Filter = (c: ChangeEvent) => boolean;

interface Subscription {
  filter: Filter;
  listener: Listener;
  pending: ChangeEvent[];
}

const DEFAULT_RETRY_MS = 2000;
const MAX_BACKOFF_MS = 30_000;
const EXPIRED_RETRY_MS = 1000;

const subscriptions = new Set<Subscription>();
let scheduled = false;
const statusListeners = new Set<(connected: boolean) => void>();
let connected = false;

// The running connection loop's abort, or null when none runs.
let running: AbortController | null = null;
// Where a reconnect resumes ("" = from now).
let resumeFrom = "";
// The server's retry delay (its `retry:` field).
let retryMs = DEFAULT_RETRY_MS;
let authVersion = authState().version;

function setConnected(c: boolean) {
  if (c === connected) return;
  connected = c;
  statusListeners.forEach((l) => l(c));
}

function flush() {
  scheduled = false;
  subscriptions.forEach((s) => {
    if (s.pending.length === 0) return;
    const batch = s.pending;
    s.pending = [];
    s.listener(batch);
  });
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  // requestAnimationFrame does not run in background tabs; a timeout still batches.
  if (typeof document !== "undefined" && document.visibilityState === "visible") {
    requestAnimationFrame(flush);
  } else {
    setTimeout(flush, 100);
  }
}

// Everything may have changed (history window passed, or another token).
function refetchEverything() {
  const all: ChangeEvent = {
    type: "MODIFIED",
    kind: "*",
    namespace: "",
    name: "",
    experiment: "",
    resourceVersion: "",
  };
  subscriptions.forEach((s) => s.pending.push(all));
  schedule();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

type Outcome = "dropped" | "expired" | "unauthorized" | "failed";

// One connection: returns why it ended (`opened` is set once the server answered 200).
async function connectOnce(signal: AbortSignal, opened: { ok: boolean }): Promise<Outcome> {
  const token = currentToken();
  const headers: Record<string, string> = { Accept: "text/event-stream", ...authHeaders() };
  if (resumeFrom) headers["Last-Event-ID"] = resumeFrom;
  const res = await fetch(`${KTUNE}/events`, { headers, signal, cache: "no-store" });
  if (res.status === 401) {
    noteUnauthorized(token);
    return "unauthorized";
  }
  if (res.status === 400 && resumeFrom) {
    resumeFrom = ""; // a revision the server does not take: start from now
    return "expired";
  }
  const type = res.headers.get("Content-Type") ?? "";
  if (!res.ok || !res.body || !type.startsWith("text/event-stream")) return "failed";
  opened.ok = true;
  const parser = new SseParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "dropped";
      const events = parser.push(value);
      if (parser.retry !== undefined) retryMs = parser.retry;
      for (const ev of events) {
        if (handle(ev, parser) === "expired") return "expired";
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
  }
}

function handle(ev: SseEvent, parser: SseParser): "expired" | undefined {
  if (parser.lastEventId) resumeFrom = parser.lastEventId;
  switch (ev.type) {
    case "hello": {
      setConnected(true);
      if (!parser.lastEventId) {
        try {
          const rv = (JSON.parse(ev.data) as { resourceVersion?: string }).resourceVersion;
          if (rv) resumeFrom = rv;
        } catch {
          /* no revision to resume from */
        }
      }
      return undefined;
    }
    case "change": {
      let change: ChangeEvent;
      try {
        change = JSON.parse(ev.data) as ChangeEvent;
      } catch {
        return undefined;
      }
      subscriptions.forEach((s) => {
        if (s.filter(change)) s.pending.push(change);
      });
      schedule();
      return undefined;
    }
    case "expired":
      // The server's history window was passed: everything may have changed.
      resumeFrom = "";
      refetchEverything();
      return "expired";
    default:
      return undefined;
  }
}

// The wait before reconnecting: the server's retry delay, doubled for each failed try in a
// row (a connection that opened resets the count), at most MAX_BACKOFF_MS.
export function reconnectDelay(retry: number, failures: number): number {
  return Math.min(retry * 2 ** Math.min(failures, 16), MAX_BACKOFF_MS);
}

async function loop(abort: AbortController) {
  const signal = abort.signal;
  let failures = 0;
  while (!signal.aborted && subscriptions.size > 0) {
    const opened = { ok: false };
    let outcome: Outcome;
    try {
      outcome = await connectOnce(signal, opened);
    } catch {
      outcome = "failed"; // network error, or aborted
    }
    if (signal.aborted) break;
    setConnected(false);
    if (outcome === "unauthorized") break; // until the token changes
    failures = opened.ok ? 0 : failures + 1;
    const delay = outcome === "expired" ? EXPIRED_RETRY_MS : reconnectDelay(retryMs, failures);
    await sleep(delay, signal);
  }
  if (running === abort) running = null;
}

function ensureSource() {
  if (running || subscriptions.size === 0 || typeof fetch === "undefined") return;
  if (typeof TextDecoderStream === "undefined") return;
  running = new AbortController();
  void loop(running);
}

function stopSource() {
  running?.abort();
  running = null;
  setConnected(false);
}

// Another token (entered, or signed out): connect again with it and refetch everything.
onAuthChange(() => {
  const v = authState().version;
  if (v === authVersion) return;
  authVersion = v;
  stopSource();
  ensureSource();
  refetchEverything();
});

// Calls `listener` with each batch of changes that pass `filter` (kind "*" means "refetch
// everything": the stream was reset). The latest listener and filter are used.
export function useChanges(filter: Filter, listener: Listener): void {
  const ref = useRef({ filter, listener });
  ref.current = { filter, listener };
  useEffect(() => {
    const sub: Subscription = {
      filter: (c) => c.kind === "*" || ref.current.filter(c),
      listener: (b) => ref.current.listener(b),
      pending: [],
    };
    subscriptions.add(sub);
    ensureSource();
    return () => {
      subscriptions.delete(sub);
      // Stop when no one listens; a page swapped for another resubscribes in the same commit.
      setTimeout(() => subscriptions.size === 0 && stopSource(), 0);
    };
  }, []);
}

// Whether the event stream is connected (for a "live" indicator).
export function onLiveStatus(listener: (connected: boolean) => void): () => void {
  statusListeners.add(listener);
  listener(connected);
  return () => statusListeners.delete(listener);
}
