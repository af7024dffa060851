"""Results read as dicts and as Katib's models."""

import json

from ktune import KObject
from ktune.objects import wrap


def test_dict_and_attribute_access():
    exp = wrap({"metadata": {"name": "e"}, "status": {"currentOptimalTrial": {
        "bestTrialName": "t", "parameterAssignments": [{"name": "lr", "value": "0.1"}],
        "observation": {"metrics": [{"name": "loss", "latest": "0.5"}]}}}})
    assert isinstance(exp, KObject) and isinstance(exp, dict)
    optimal = exp.status.current_optimal_trial
    assert optimal.best_trial_name == "t" == exp["status"]["currentOptimalTrial"]["bestTrialName"]
    assert optimal.parameter_assignments[0].value == "0.1"
    assert optimal.observation.metrics[0].latest == "0.5"
    assert exp.status.completion_time is None  # unset, as in Katib's models
    assert "current_optimal_trial" in dir(exp.status)
    assert json.loads(json.dumps(exp)) == exp.to_dict()
    assert type(exp.to_dict()["status"]) is dict


def test_attribute_writes_go_to_the_camel_case_key():
    o = KObject({"maxTrialCount": 3})
    o.max_trial_count = 5
    assert o == {"maxTrialCount": 5}
