// A time shown relative ("5 min. ago") or as kubectl's age ("5m"), with the absolute time in
// the browser's zone as its tooltip; re-renders every few seconds so it stays true.
import { useEffect, useState } from "react";
import { formatAge, formatRelative, formatTime } from "../format";

function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(id);
  }, [periodMs]);
  return now;
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
