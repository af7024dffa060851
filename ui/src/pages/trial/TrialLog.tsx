// A trial's log: followed (streamed and appended) while the trial runs, fetched once when it
// has finished. It sticks to the bottom unless the reader scrolled up.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useAuthVersion } from "../../api/auth";
import { apiFetch, trialLogUrl } from "../../api/client";
import type { TrialPhase } from "../../api/types";

type Mode = "wait" | "follow" | "done";

export function logMode(phase: TrialPhase | undefined): Mode {
  if (phase === undefined || phase === "Created") return "wait";
  if (phase === "Running") return "follow";
  return "done";
}

const MAX_CHARS = 4_000_000; // keep the tail of a huge log

interface Props {
  ns: string;
  trial: string;
  phase?: TrialPhase;
  // Called when followed output arrives (new metrics may have been reported with it).
  onOutput?: () => void;
}

export default function TrialLog({ ns, trial, phase, onOutput }: Props) {
  const mode = logMode(phase);
  const [text, setText] = useState("");
  const [state, setState] = useState<"idle" | "loading" | "following" | "ended" | "error">("idle");
  const [error, setError] = useState("");
  const [stuck, setStuck] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  // A follow that ran to the end already has the whole log: no plain fetch after it.
  const followedToEnd = useRef(false);
  const onOutputRef = useRef(onOutput);
  onOutputRef.current = onOutput;
  // A new token reads the log again (the last try may have been refused).
  const authVersion = useAuthVersion();

  useEffect(() => {
    followedToEnd.current = false;
    setText("");
  }, [ns, trial]);

  useEffect(() => {
    if (mode === "wait") return;
    if (mode === "done" && followedToEnd.current) return;
    const abort = new AbortController();
    const follow = mode === "follow";
    setState(follow ? "following" : "loading");
    setError("");
    (async () => {
      try {
        const res = await apiFetch(trialLogUrl(ns, trial, follow), { signal: abort.signal });
        if (!res.ok) {
          const body = await res.text();
          let message = body || res.statusText;
          try {
            message = (JSON.parse(body) as { message?: string }).message ?? message;
          } catch {
            /* not a Status: the text itself */
          }
          throw new Error(`${res.status}: ${message}`);
        }
        if (!follow || !res.body) {
          setText(clip(await res.text()));
          setState("ended");
          return;
        }
        setText("");
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const chunk = decoder.decode(value, { stream: true });
          if (chunk) {
            setText((t) => clip(t + chunk));
            onOutputRef.current?.();
          }
        }
        const rest = decoder.decode();
        if (rest) setText((t) => clip(t + rest));
        followedToEnd.current = true;
        setState("ended");
      } catch (e) {
        if (abort.signal.aborted) return;
        setError((e as Error).message);
        setState("error");
      }
    })();
    return () => abort.abort();
  }, [ns, trial, mode, authVersion]);

  useLayoutEffect(() => {
    if (stuck && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, stuck]);

  const onScroll = () => {
    const el = pre.current;
    if (!el) return;
    setStuck(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };

  return (
    <div className="trial-log">
      <div className="log-head">
        <span className="muted" aria-live="polite">
          {mode === "wait"
            ? "Waiting for the trial to start…"
            : state === "following"
              ? "Following the log while the trial runs"
              : state === "loading"
                ? "Loading…"
                : state === "ended"
                  ? `${text.length === 0 ? "Empty log" : `${text.split("\n").length - (text.endsWith("\n") ? 1 : 0)} lines`}`
                  : ""}
        </span>
        {!stuck && (
          <button type="button" className="small" onClick={() => setStuck(true)}>
            Jump to the end
          </button>
        )}
      </div>
      {error && (
        <div className="error-banner" role="alert">
          The log could not be read: {error}
        </div>
      )}
      <pre ref={pre} className="log" data-testid="trial-log" tabIndex={0} onScroll={onScroll} aria-label="Trial log">
        {text}
      </pre>
    </div>
  );
}

function clip(t: string): string {
  return t.length > MAX_CHARS ? t.slice(t.length - MAX_CHARS) : t;
}
