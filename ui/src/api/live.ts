// One EventSource on /apis/ktune.dev/v1/events for the whole page; components subscribe
// with a filter and get the matching changes, batched per animation frame, so a burst of
// thousands of changes costs one refresh per subscriber, not one per change.
import { useEffect, useRef } from "react";
import { KTUNE } from "./client";
import type { ChangeEvent } from "./types";

type Listener = (changes: ChangeEvent[]) => void;
type Filter = (c: ChangeEvent) => boolean;

interface Subscription {
  filter: Filter;
  listener: Listener;
  pending: ChangeEvent[];
}

const subscriptions = new Set<Subscription>();
let source: EventSource | null = null;
let scheduled = false;
const statusListeners = new Set<(connected: boolean) => void>();
let connected = false;

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

function ensureSource() {
  if (source || typeof EventSource === "undefined") return;
  source = new EventSource(`${KTUNE}/events`);
  source.addEventListener("hello", () => setConnected(true));
  source.addEventListener("change", (ev) => {
    const change = JSON.parse((ev as MessageEvent).data) as ChangeEvent;
    subscriptions.forEach((s) => {
      if (s.filter(change)) s.pending.push(change);
    });
    schedule();
  });
  // The server's history window was passed: everything may have changed.
  source.addEventListener("expired", () => {
    subscriptions.forEach((s) => s.pending.push({ type: "MODIFIED", kind: "*", namespace: "", name: "", experiment: "", resourceVersion: "" }));
    schedule();
    source?.close();
    source = null;
    setTimeout(ensureSource, 1000);
  });
  source.onerror = () => setConnected(false);
  source.onopen = () => setConnected(true);
}

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
    };
  }, []);
}

// Whether the event stream is connected (for a "live" indicator).
export function onLiveStatus(listener: (connected: boolean) => void): () => void {
  statusListeners.add(listener);
  listener(connected);
  return () => statusListeners.delete(listener);
}
