"""The progress view: HTML in Jupyter, a line elsewhere."""

import io

import pytest

from ktune.progress import Progress, html_table, text_line


def state(done, running, status="Running", best=None):
    exp = {"metadata": {"name": "e"},
           "spec": {"maxTrialCount": 20, "objective": {"objectiveMetricName": "loss",
                                                       "type": "minimize"}},
           "status": {"conditions": [{"type": "Created", "status": "True"},
                                     {"type": status, "status": "True"}],
                      "trials": done + running, "trialsSucceeded": done,
                      "trialsRunning": running}}
    if best is not None:
        exp["status"]["currentOptimalTrial"] = {
            "bestTrialName": "e-1", "parameterAssignments": [{"name": "x", "value": "0.3"}],
            "observation": {"metrics": [{"name": "loss", "latest": str(best)}]}}
    return exp


def test_text_line():
    line = text_line(state(7, 3, best=0.25), 12.2)
    assert line == "e: Running | 7/20 trials done, 3 running, 0 failed | best loss=0.25 | 12 s"


def test_lines_mode_prints_each_change_once():
    out = io.StringIO()
    p = Progress(stream=out, mode="lines")
    p.update(state(1, 3))
    p.update(state(1, 3))
    p.update(state(2, 3, best=0.5))
    p.close(state(20, 0, "Succeeded", best=0.1))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("e: Succeeded | 20/20 trials done, 0 running")


def test_tty_mode_rewrites_one_line():
    out = io.StringIO()
    p = Progress(stream=out, mode="tty")
    p.update(state(1, 3))
    p.close(state(20, 0, "Succeeded"))
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")


def test_html_table_escapes_and_shows_the_best():
    exp = state(5, 2, best=0.125)
    exp["status"]["currentOptimalTrial"]["parameterAssignments"][0]["value"] = "<b>"
    page = html_table(exp, 3)
    assert 'data-status="Running"' in page and 'data-done="5"' in page
    assert "&lt;b&gt;" in page and "<b>" not in page.split("</b>", 1)[1]
    assert "0.125" in page and '<progress value="5" max="20">' in page


def test_html_mode_updates_one_display_in_place():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append((data, kw))
    p = Progress(mode="html")
    p.update(state(1, 3))
    p.update(state(2, 3))
    assert len(published) == 2
    assert published[1][1].get("update") is True
    assert 'data-done="2"' in published[1][0]["text/html"]


def test_disabled_prints_nothing():
    out = io.StringIO()
    p = Progress(enabled=False, stream=out)
    p.update(state(1, 1))
    p.close(state(1, 0))
    assert out.getvalue() == ""
