// A time shown relative ("5 min. ago") or as kubectl's age ("5m"), with the absolute time in
// the browser's zone as its tooltip; re-renders every few seconds so it stays true.
import { useEffect, useState } from "react";
import { formatAge, formatRelative, formatTime } from "../format";

// The time now: read at every render (a parent's re-render must not show a stale age), and
// a re-render every `periodMs` so the text also moves on by itself.
function useNow(periodMs: number): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), periodMs);
    return () => clearInterval(id);
  }, [periodMs]);
  return Date.now();
}

export default function RelativeTime({ iso, age = false }: { iso?: string; age?: boolean }) {
  const now = useNow(age ? 5000 : 15000);
  if (!iso) return <span>–</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {age ? formatAge(iso, now) : formatRelative(iso, now)}
    </time>
  );
}
