"""examples/notebook/tune-sklearn.ipynb, executed by Debian's jupyter-nbconvert against a real
`ktune server` with token auth on: tune of a function with three parameters and twenty trials,
then get_optimal_hyperparameters. The notebook's own asserts fail the run."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO, SDK, Server

NOTEBOOK = os.path.join(REPO, "examples", "notebook", "tune-sklearn.ipynb")
NBCONVERT = shutil.which("jupyter-nbconvert", path="/usr/bin") or "/usr/bin/jupyter-nbconvert"


def test_example_notebook_runs(tmp_path):
    if not os.access(NBCONVERT, os.X_OK):
        pytest.fail("jupyter-nbconvert is not installed (scripts/setup.sh installs it)")
    server = Server(token="notebook-token", work_dir=str(tmp_path))
    try:
        env = dict(os.environ, KTUNE_HOST=server.host, KTUNE_TOKEN=server.token,
                   PYTHONPATH=SDK + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   JUPYTER_PLATFORM_DIRS="1", HOME=str(tmp_path))
        env.pop("KTUNE_BINARY", None)  # the notebook must use the server above
        run = subprocess.run(
            [NBCONVERT, "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600",
             "--output-dir", str(tmp_path), "--output", "executed", NOTEBOOK],
            env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stderr[-4000:]
        with open(tmp_path / "executed.ipynb") as f:
            executed = json.load(f)
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"]
        html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
        html = ["".join(h) if isinstance(h, list) else h for h in html]
        progress = [h for h in html if "ktune-progress" in h]
        assert progress and 'data-status="Succeeded"' in progress[-1]
        assert 'data-done="20"' in progress[-1]
        text = "".join("".join(o.get("text", "")) for o in outputs)
        assert "best accuracy:" in text
    finally:
        server.stop()
