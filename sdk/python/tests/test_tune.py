"""tune(fn): a Python function's source run as trials on a real server."""

import pytest

from ktune import search
from ktune.tune import build_experiment, function_source


def branin_like(parameters):
    x, y, kind = parameters["x"], parameters["y"], parameters["kind"]
    assert isinstance(x, float) and isinstance(y, int) and isinstance(kind, str)
    penalty = {"a": 0.0, "b": 1.0, "c": 2.0}[kind]
    return (x - 1.5) ** 2 + (y - 2) ** 2 + penalty


def test_tune_a_function_with_three_parameters(client, name):
    result = client.tune(
        name, objective=branin_like,
        parameters={"x": search.double(-5, 5), "y": search.int(-4, 4),
                    "kind": search.categorical(["a", "b", "c"])},
        objective_metric_name="loss", objective_type="minimize",
        max_trial_count=20, parallel_trial_count=4, show_progress=False)
    assert result.status == "Succeeded"
    assert len(result.trials) == 20
    assert all(t.status.observation for t in result.trials)
    losses = [float(t.status.observation.metrics[0].latest) for t in result.trials]
    assert result.best_value == min(losses)
    assert set(result.best_parameters) == {"x", "y", "kind"}
    assert isinstance(result.best_parameters["y"], int)
    # The best parameters give the best value when evaluated here.
    assert branin_like(result.best_parameters) == pytest.approx(result.best_value)
    optimal = client.get_optimal_hyperparameters(name)
    assert optimal.best_trial_name == result.best_trial


def keyword_objective(lr, layers, fixed):
    import math
    print("accuracy={}".format(1 - abs(math.log10(lr) + 2) / 10 - layers / 100 + fixed))


def test_keyword_function_fixed_values_and_printed_metrics(client, name):
    result = client.tune(
        name, objective=keyword_objective,
        parameters={"lr": search.double(1e-4, 1e-1, log=True), "layers": search.discrete([1, 2, 4]),
                    "fixed": 0.5},
        objective_metric_name="accuracy", max_trial_count=4, parallel_trial_count=2,
        show_progress=False)
    assert result.status == "Succeeded"
    assert result.best_value is not None and result.best_value > 0.5
    exp = client.get_experiment(name)
    assert exp.spec.parameters[0].feasible_space.distribution == "logUniform"
    assert exp.spec.objective.type == "maximize"  # Katib's default


def dict_objective(parameters):
    x = parameters["x"]
    return {"loss": x * x, "size": 3}


def test_returned_dict_and_additional_metrics(client, name):
    result = client.tune(name, objective=dict_objective, parameters={"x": search.double(-1, 1)},
                         objective_metric_name="loss", additional_metric_names=["size"],
                         objective_type="minimize", max_trial_count=3, show_progress=False)
    names = {m.name for t in result.trials for m in t.status.observation.metrics}
    assert names == {"loss", "size"}


def pushing_objective(parameters):
    from ktune import report_metrics
    report_metrics({"loss": (parameters["x"] - 0.5) ** 2, "steps": 10})
    print("loss=123")  # a Push experiment does not read the output


def test_push_collector_trials_report_through_the_dbmanager(client, name):
    result = client.tune(name, objective=pushing_objective,
                         parameters={"x": search.double(0, 1)}, objective_metric_name="loss",
                         additional_metric_names=["steps"], objective_type="minimize",
                         metrics_collector_config={"kind": "Push"}, max_trial_count=3,
                         show_progress=False)
    assert result.status == "Succeeded"
    for t in result.trials:
        metrics = {m.name: float(m.latest) for m in t.status.observation.metrics}
        assert metrics["steps"] == 10 and metrics["loss"] < 0.3
    logs = client.get_trial_metrics(result.best_trial)
    assert {m.metric.name for m in logs} == {"loss", "steps"}


def returned_push(parameters):
    return parameters["x"]


def test_push_collector_with_a_returned_value(client, name):
    result = client.tune(name, objective=returned_push, parameters={"x": search.double(0, 1)},
                         metrics_collector_config={"kind": "Push"}, max_trial_count=2,
                         show_progress=False)
    assert result.status == "Succeeded"
    assert result.best_value == max(float(t.status.observation.metrics[0].latest)
                                    for t in result.trials)


def silent(parameters):
    return None


def test_a_function_that_reports_nothing_ends_metrics_unavailable(client, name):
    result = client.tune(name, objective=silent, parameters={"x": search.double(0, 1)},
                         max_trial_count=2, show_progress=False)
    assert result.best_value is None and result.best_parameters == {}
    assert all("MetricsUnavailable" in [c.type for c in t.status.conditions]
               for t in result.trials)


def failing(parameters):
    raise ValueError("bad x {}".format(parameters["x"]))


def test_failing_trials_fail_the_experiment_and_keep_their_traceback(client, name):
    result = client.tune(name, objective=failing, parameters={"x": search.double(0, 1)},
                         max_trial_count=3, max_failed_trial_count=1, parallel_trial_count=1,
                         show_progress=False)
    assert result.status == "Failed"
    trial = result.trials[0].metadata.name
    text = "\n".join(client.get_job_logs(name, trial))
    assert "ValueError: bad x" in text


def shell_chars(parameters):
    label = "$HOME `id` $(echo no)"
    return len(label) + len(parameters["word"])


def test_parameter_values_and_source_are_never_interpreted(client, name):
    # Katib's SDK pastes the source into an unquoted bash heredoc; here nothing is expanded.
    result = client.tune(name, objective=shell_chars,
                         parameters={"word": search.categorical(["$(touch /tmp/x)", "'; x"])},
                         max_trial_count=2, algorithm_name="grid", show_progress=False)
    values = sorted(float(t.status.observation.metrics[0].latest) for t in result.trials)
    assert values == [21 + 4, 21 + 15]  # as written, nothing expanded


def test_wait_false_returns_at_once_like_katib(client, name):
    assert client.tune(name, objective=returned_push, parameters={"x": search.double(0, 1)},
                       max_trial_count=1, wait=False) is None
    exp = client.wait_for_experiment_condition(name, timeout=120)
    assert exp.status.trials_succeeded == 1


def test_the_dataframe_of_a_result(client, name):
    pytest.importorskip("pandas")
    result = client.tune(name, objective=dict_objective, parameters={"x": search.double(-1, 1)},
                         objective_metric_name="loss", objective_type="minimize",
                         max_trial_count=3, show_progress=False)
    df = result.to_dataframe()
    assert list(df["status"]) == ["Succeeded"] * 3
    assert df["loss"].min() == pytest.approx(result.best_value)


# ---- what tune refuses before sending anything ----------------------------------------------

import math  # noqa: E402  (used by uses_a_global below, on purpose)


def uses_a_global(parameters):
    return math.sqrt(parameters["x"])


def test_functions_that_cannot_run_alone_are_refused():
    with pytest.raises(ValueError, match="uses math from outside"):
        function_source(uses_a_global)
    with pytest.raises(ValueError, match="lambda"):
        function_source(lambda p: 1)
    offset = 3

    def closure(parameters):
        return parameters["x"] + offset
    with pytest.raises(ValueError, match="offset"):
        function_source(closure)


def test_refusals_name_the_argument(client):
    with pytest.raises(ValueError, match="no parameter to search"):
        client.tune("x", objective=returned_push, parameters={"x": 1})
    with pytest.raises(ValueError, match="LLM"):
        client.tune("x", model_provider_parameters=object())
    with pytest.raises(ValueError, match="give max_trial_count"):
        client.tune("x", objective=returned_push, parameters={"x": search.double(0, 1)})
    with pytest.raises(ValueError, match="objective_type"):
        client.tune("x", objective=returned_push, parameters={"x": search.double(0, 1)},
                    objective_type="biggest")


def test_the_experiment_is_katibs_shape():
    exp = build_experiment("e", "ns", returned_push, {"x": search.int(1, 3), "k": 2},
                           python="python3", max_trial_count=5, env_per_trial={"A": "1"},
                           resources_per_trial={"cpu": "2", "gpu": 1},
                           trial_active_deadline_seconds=30)
    spec = exp["spec"]
    assert spec["parameters"] == [{"name": "x", "parameterType": "int",
                                   "feasibleSpace": {"min": "1", "max": "3"}}]
    template = spec["trialTemplate"]
    assert template["primaryContainerName"] == "training-container"
    assert template["trialParameters"] == [{"name": "x", "reference": "x"}]
    job = template["trialSpec"]
    assert job["kind"] == "Job" and job["spec"]["activeDeadlineSeconds"] == 30
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["python3", "-u", "-c"]
    assert container["args"][1:] == ["${trialParameters.x}"]
    assert container["env"] == [{"name": "A", "value": "1"}]
    assert container["resources"]["limits"] == {"cpu": "2", "nvidia.com/gpu": "1"}
    assert spec["maxTrialCount"] == 5


def sleepy(parameters):
    import time
    print("started", flush=True)
    time.sleep(60)
    return parameters["x"]


def test_trial_active_deadline_seconds_stops_a_trial(client, name):
    result = client.tune(name, objective=sleepy, parameters={"x": search.double(0, 1)},
                         max_trial_count=1, max_failed_trial_count=0,
                         trial_active_deadline_seconds=1, show_progress=False)
    assert result.status == "Failed"
    failed = [c for c in result.trials[0].status.conditions if c.type == "Failed"][0]
    assert "DeadlineExceeded" in failed.reason
