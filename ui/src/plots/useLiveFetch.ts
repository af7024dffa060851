// Fetches `load()` on mount, when `key` changes, and again when `version` changes (the trial
// table changed), at most once per `minIntervalMs`, never two requests at once.
import { useEffect, useRef, useState } from "react";

export interface LiveFetch<T> {
  data?: T;
  error?: Error;
  loading: boolean;
}

export function useLiveFetch<T>(
  load: () => Promise<T>,
  key: string,
  version: number,
  minIntervalMs = 3000,
): LiveFetch<T> {
  const [state, setState] = useState<LiveFetch<T>>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const last = useRef({ key: "", at: 0, busy: false, again: false });
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  useEffect(() => {
    alive.current = true;
    const l = last.current;
    const keyChanged = l.key !== key;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (l.busy) {
        l.again = true;
        return;
      }
      l.busy = true;
      l.at = Date.now();
      const k = key;
      try {
        const data = await loadRef.current();
        if (alive.current && last.current.key === k) setState({ data, loading: false });
      } catch (e) {
        if (alive.current && last.current.key === k)
          setState({ error: e as Error, loading: false });
      } finally {
        l.busy = false;
        if (l.again) {
          l.again = false;
          void run();
        }
      }
    };
    if (keyChanged) {
      l.key = key;
      setState((s) => ({ ...s, loading: true }));
      void run();
    } else {
      const wait = Math.max(0, l.at + minIntervalMs - Date.now());
      timer = setTimeout(() => void run(), wait);
    }
    return () => {
      if (timer) clearTimeout(timer);
    };
  }, [key, version, minIntervalMs]);
  return state;
}
