"""A live view of an experiment while ``tune`` or ``wait_for_experiment_condition`` waits: an
HTML table updated in place in Jupyter, one line rewritten in place on a terminal, and a line
per change elsewhere (a log file, CI)."""

import html
import sys
import time
from typing import Any, Dict, List, Optional, TextIO


def _status(exp: Dict[str, Any]) -> str:
    conditions = (exp.get("status") or {}).get("conditions") or []
    for c in reversed(conditions):
        if c.get("status") == "True":
            return c.get("type") or ""
    return "Created"


def _best(exp: Dict[str, Any]) -> Dict[str, Any]:
    """The best trial's name, objective value and parameters, from status.currentOptimalTrial."""
    spec = exp.get("spec") or {}
    objective = (spec.get("objective") or {}).get("objectiveMetricName") or ""
    optimal = (exp.get("status") or {}).get("currentOptimalTrial") or {}
    value = None
    for m in ((optimal.get("observation") or {}).get("metrics") or []):
        if m.get("name") == objective:
            value = m.get("latest")
    params = [(p.get("name"), p.get("value")) for p in optimal.get("parameterAssignments") or []]
    return {"trial": optimal.get("bestTrialName") or "", "metric": objective, "value": value,
            "params": params}


def summary(exp: Dict[str, Any]) -> Dict[str, Any]:
    """The numbers a progress view shows."""
    status = exp.get("status") or {}
    spec = exp.get("spec") or {}
    return {
        "name": (exp.get("metadata") or {}).get("name", ""),
        "status": _status(exp),
        "max": spec.get("maxTrialCount"),
        "trials": status.get("trials") or 0,
        "running": status.get("trialsRunning") or 0,
        "succeeded": status.get("trialsSucceeded") or 0,
        "failed": status.get("trialsFailed") or 0,
        "killed": status.get("trialsKilled") or 0,
        "early_stopped": status.get("trialsEarlyStopped") or 0,
        "unavailable": status.get("trialMetricsUnavailable") or 0,
        "type": (spec.get("objective") or {}).get("type") or "",
        "best": _best(exp),
    }


def _done(s: Dict[str, Any]) -> int:
    return s["succeeded"] + s["failed"] + s["killed"] + s["early_stopped"] + s["unavailable"]


def text_line(exp: Dict[str, Any], elapsed: float) -> str:
    """``name: Running | 7/20 trials done, 3 running, 0 failed | best accuracy=0.93 | 12 s``."""
    s = summary(exp)
    total = s["max"] if s["max"] is not None else "?"
    parts = ["{}: {}".format(s["name"], s["status"]),
             "{}/{} trials done, {} running, {} failed".format(_done(s), total, s["running"],
                                                              s["failed"])]
    best = s["best"]
    if best["value"] is not None:
        parts.append("best {}={}".format(best["metric"], best["value"]))
    parts.append("{:.0f} s".format(elapsed))
    return " | ".join(parts)


def html_table(exp: Dict[str, Any], elapsed: float) -> str:
    """The HTML a notebook shows: status, a progress bar, counts, the best trial."""
    s = summary(exp)
    e = html.escape
    done = _done(s)
    total = s["max"]
    pct = 100.0 * done / total if total else 0.0
    best = s["best"]
    rows = [
        ("Status", e(s["status"])),
        ("Trials", '<progress value="{}" max="{}"></progress> {} / {} done'.format(
            done, total or max(done, 1), done, total if total is not None else "?")),
        ("Running / succeeded / failed", "{} / {} / {}".format(
            s["running"], s["succeeded"], s["failed"])),
    ]
    if best["value"] is not None:
        rows.append(("Best {} ({})".format(e(best["metric"]), e(s["type"])),
                     "{} <small>({})</small>".format(e(str(best["value"])), e(best["trial"]))))
        rows.append(("Best parameters", ", ".join(
            "{}={}".format(e(str(k)), e(str(v))) for k, v in best["params"])))
    rows.append(("Elapsed", "{:.0f} s".format(elapsed)))
    body = "".join('<tr><th style="text-align:left">{}</th><td style="text-align:left">{}'
                   "</td></tr>".format(k, v) for k, v in rows)
    return ('<div class="ktune-progress" data-experiment="{}" data-status="{}" '
            'data-done="{}" data-percent="{:.0f}"><b>ktune experiment {}</b>'
            "<table>{}</table></div>".format(e(s["name"]), e(s["status"]), done, pct,
                                             e(s["name"]), body))


def _jupyter() -> bool:
    """Whether we run in a Jupyter kernel (which can show HTML), not a terminal IPython."""
    try:
        from IPython import get_ipython  # type: ignore
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class Progress:
    """Shows an experiment's progress; ``update`` with each new state, ``close`` at the end."""

    def __init__(self, enabled: bool = True, stream: Optional[TextIO] = None,
                 mode: Optional[str] = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stdout
        if mode is None:
            if _jupyter():
                mode = "html"
            elif hasattr(self.stream, "isatty") and self.stream.isatty():
                mode = "tty"
            else:
                mode = "lines"
        self.mode = mode
        self.start = time.monotonic()
        self._handle: Any = None
        self._last = ""
        self._width = 0

    def update(self, exp: Dict[str, Any]) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        if self.mode == "html":
            from IPython.display import HTML, display  # type: ignore
            view = HTML(html_table(exp, elapsed))
            if self._handle is None:
                self._handle = display(view, display_id=True)
            else:
                self._handle.update(view)
            return
        line = text_line(exp, elapsed)
        # "lines": print when something other than the clock changed.
        key = line.rsplit(" | ", 1)[0]
        if self.mode == "tty":
            pad = " " * max(0, self._width - len(line))
            self.stream.write("\r" + line + pad)
            self._width = len(line)
            self.stream.flush()
        elif key != self._last:
            self.stream.write(line + "\n")
            self.stream.flush()
        self._last = key

    def close(self, exp: Optional[Dict[str, Any]] = None) -> None:
        if not self.enabled:
            return
        if exp is not None:
            self.update(exp)
        if self.mode == "tty" and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


def trial_rows(trials: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One flat row per trial: name, status, each parameter, each metric's latest value."""
    from .objects import trial_phase
    rows = []
    for t in trials:
        row: Dict[str, Any] = {"name": (t.get("metadata") or {}).get("name"),
                               "status": trial_phase(t)}
        for p in (t.get("spec") or {}).get("parameterAssignments") or []:
            row[p.get("name")] = _number(p.get("value"))
        for m in ((t.get("status") or {}).get("observation") or {}).get("metrics") or []:
            row[m.get("name")] = _number(m.get("latest"))
        status = t.get("status") or {}
        row["start_time"] = status.get("startTime")
        row["completion_time"] = status.get("completionTime")
        rows.append(row)
    return rows


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f
    return value
