"""`ktune run` of a Push-collector experiment (no server): the trials call report_metrics,
which reaches the DBManager `ktune run` starts for them on a loopback port."""

import json
import os
import subprocess
import sys

from conftest import SDK, ktune_binary

TRIAL = """
import sys
from ktune import report_metrics
x = float(sys.argv[1])
print("loss=999")  # not read: a Push trial reports its metrics itself
report_metrics({"loss": (x - 0.5) ** 2, "epoch": 1})
"""


def test_ktune_run_push_experiment(tmp_path):
    experiment = {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": "push-run"},
        "spec": {
            "objective": {"type": "minimize", "objectiveMetricName": "loss",
                          "additionalMetricNames": ["epoch"]},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": 4, "parallelTrialCount": 2,
            "metricsCollectorSpec": {"collector": {"kind": "Push"}},
            "parameters": [{"name": "x", "parameterType": "double",
                            "feasibleSpace": {"min": "0", "max": "1"}}],
            "trialTemplate": {
                "primaryContainerName": "main",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {
                    "spec": {"containers": [{
                        "name": "main", "image": "python",
                        "command": [sys.executable, "-c", TRIAL, "${trialParameters.x}"],
                        "env": [{"name": "PYTHONPATH", "value": SDK}]}]}}}},
            },
        },
    }
    path = tmp_path / "push.json"
    path.write_text(json.dumps(experiment))
    run = subprocess.run([ktune_binary(), "run", str(path), "--db", str(tmp_path / "k.db"),
                          "--output", "json"], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=""))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    trials = result["trials"]
    assert len(trials) == 4
    for t in trials:
        metrics = {m["name"]: float(m["latest"]) for m in t["status"]["observation"]["metrics"]}
        assert metrics["loss"] <= 0.25 and metrics["epoch"] == 1
