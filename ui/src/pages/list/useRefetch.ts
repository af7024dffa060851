// Runs `load` now and again on demand, never two at once: a request while one is in flight
// marks it stale and runs once more after, so a burst of changes costs at most two fetches.
import { useCallback, useEffect, useRef, useState } from "react";

export function useRefetch<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const inFlight = useRef(false);
  const again = useRef(false);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    const gen = generation.current;
    loadRef
      .current()
      .then((d) => {
        if (gen !== generation.current) return;
        setData(d);
        setError(null);
      })
      .catch((e) => gen === generation.current && setError(e))
      .finally(() => {
        inFlight.current = false;
        if (gen === generation.current) setLoading(false);
        if (again.current || gen !== generation.current) {
          again.current = false;
          run();
        }
      });
  }, []);

  useEffect(() => {
    // New inputs (another namespace, another trial): what was shown and earlier replies go.
    generation.current++;
    setData(undefined);
    setError(null);
    setLoading(true);
    run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, loading, refetch: run };
}
