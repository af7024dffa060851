"""The Katib SDK `tune()` call recorded in data/katib_sdk_tune_experiment.json.

kubeflow-katib's KatibClient.tune(objective=fn, parameters={...}) turns a Python function into
an Experiment whose trial is a batch/v1 Job running `bash -c <script>`; the script writes the
function's source and one call of it to a file and runs `python -u` on it (SERVER.md section
B.5). This module holds that function and the arguments, so that:

- sdk_replay_test.py (CI, Debian's python3-kubernetes, no Katib SDK) replays the recorded body
  and checks each trial's metric against the function run here with the trial's parameters;
- sdk/python/tests/test_katib_sdk.py (by hand, with the real SDK on KATIB_SDK_PATH) runs the
  real tune() and checks that the body it POSTs is still the recorded one.

Regenerate the fixture, with the real SDK importable and a `ktune server` at URL:
  KATIB_SDK_PATH=DIR /usr/bin/python3 tests/e2e/server/katib_tune_case.py URL [TOKEN]
"""

import contextlib
import io
import json
import os
import re
import sys
from typing import Any, Callable, Dict, List

EXPERIMENT_NAME = "katib-sdk-tune"
NAMESPACE = "default"
OBJECTIVE_METRIC = "score"
ADDITIONAL_METRIC = "penalty"
MAX_TRIAL_COUNT = 6
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                       "katib_sdk_tune_experiment.json")


def objective(parameters):
    # Runs as the trial's program: standard library only, and neither dollar signs nor
    # backticks (the SDK puts this source in an unquoted bash heredoc).
    import math

    x = float(parameters["x"])
    n = int(parameters["n"])
    bonus = 0.5 if parameters["optimizer"] == "adam" else 0.0
    penalty = 0.1 * (n - 2) ** 2
    score = math.exp(-((x - 0.3) ** 2)) - penalty + bonus + parameters["offset"]
    print("penalty=%.6f" % penalty)
    print("score=%.6f" % score)


def tune_arguments(katib: Any) -> Dict[str, Any]:
    """Fresh keyword arguments for KatibClient.tune (it rewrites `parameters` in place).

    `optimizer` is built as a V1beta1ParameterSpec by hand: katib.search.categorical puts the
    list in feasibleSpace.distribution, which every server refuses (kubeflow/katib#2625).
    """
    models = katib.models
    return {
        "name": EXPERIMENT_NAME,
        "namespace": NAMESPACE,
        "objective": objective,
        "parameters": {
            "x": katib.search.double(min=-1.0, max=1.0),
            "n": katib.search.int(min=0, max=4),
            "optimizer": models.V1beta1ParameterSpec(
                parameter_type="categorical",
                feasible_space=models.V1beta1FeasibleSpace(list=["sgd", "adam"])),
            "offset": 1.5,
        },
        "objective_metric_name": OBJECTIVE_METRIC,
        "additional_metric_names": [ADDITIONAL_METRIC],
        "objective_type": "maximize",
        "max_trial_count": MAX_TRIAL_COUNT,
        "parallel_trial_count": 3,
    }


def trial_function_input(assignments: List[Dict[str, str]]) -> Dict[str, Any]:
    """What the trial's objective() call receives: the assignments as strings, the literal."""
    values: Dict[str, Any] = {a["name"]: a["value"] for a in assignments}
    values["offset"] = 1.5
    return values


def expected_metrics(assignments: List[Dict[str, str]]) -> Dict[str, float]:
    """Runs objective() here with a trial's parameters and parses what it prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        objective(trial_function_input(assignments))
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(\w+)=([-+0-9.eE]+)$", out.getvalue(), re.MULTILINE)}


def record_posted_experiment(client: Any, call: Callable[[], Any]) -> Dict[str, Any]:
    """Runs call() (a KatibClient method) and returns the Experiment body it POSTed.

    The body is taken where python-kubernetes' REST layer serializes it (RESTClientObject
    .request), so it is exactly what went over the wire, after the models' camelCase mapping.
    """
    # client.api_client is the Katib models' own (de)serializer; the requests go through
    # the kubernetes ApiClient behind custom_api.
    rest = client.custom_api.api_client.rest_client
    original = rest.request
    posted: List[Any] = []

    def request(method, url, *args, **kwargs):
        if method == "POST" and url.rstrip("/").endswith("/experiments"):
            posted.append(kwargs.get("body"))
        return original(method, url, *args, **kwargs)

    rest.request = request
    try:
        call()
    finally:
        rest.request = original
    if len(posted) != 1:
        raise AssertionError("expected one POST of an Experiment, saw %d" % len(posted))
    # Round-trip through JSON: the same text the client sent (json.dumps of the body).
    return json.loads(json.dumps(posted[0]))


def load_fixture() -> Dict[str, Any]:
    with open(FIXTURE) as f:
        return json.load(f)


def _main(argv: List[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    sdk_path = os.environ.get("KATIB_SDK_PATH")
    if sdk_path:
        sys.path.insert(0, sdk_path)
    import kubernetes.client
    from kubeflow import katib

    cfg = kubernetes.client.Configuration()
    cfg.host = argv[1]
    if len(argv) == 3:
        cfg.api_key = {"authorization": "Bearer " + argv[2]}
    client = katib.KatibClient(client_configuration=cfg, namespace=NAMESPACE)
    body = record_posted_experiment(client, lambda: client.tune(**tune_arguments(katib)))
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        json.dump(body, f, indent=2)  # key order as sent
        f.write("\n")
    print("wrote %s (experiment %s created on %s)" % (FIXTURE, EXPERIMENT_NAME, argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
