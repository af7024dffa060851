"""KtuneClient's Katib calls against a real server, with and without token auth."""

import os
import pytest

from ktune import (AlreadyExistsError, InvalidError, KtuneClient, NotFoundError,
                   UnauthorizedError, search)

HERE = os.path.dirname(os.path.abspath(__file__))


def quadratic(parameters):
    x = float(parameters["x"])
    print("loss={}".format((x - 0.25) ** 2))


def experiment(name, max_trials=4, parallel=2, loss="print(f'loss={(float(sys.argv[1]) - 0.25) ** 2}')"):
    """A Katib Experiment as a dict, as a Katib user writes it."""
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name},
        "spec": {
            "objective": {"type": "minimize", "objectiveMetricName": "loss"},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": max_trials, "parallelTrialCount": parallel,
            "resumePolicy": "LongRunning",
            "parameters": [{"name": "x", "parameterType": "double",
                            "feasibleSpace": {"min": "-1", "max": "1"}}],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {
                    "spec": {"restartPolicy": "Never", "containers": [{
                        "name": "training-container", "image": "python:3.11",
                        "command": ["/usr/bin/python3", "-c", "import sys\n" + loss,
                                    "${trialParameters.x}"]}]}}}},
            },
        },
    }


def test_experiment_lifecycle(client, any_server, name):
    created = client.create_experiment(experiment(name))
    assert created.metadata.name == name
    assert created["spec"]["parallelTrialCount"] == 2
    # The controller sets Created once it has taken the experiment up.
    client.wait_for_experiment_condition(name, expected_condition="Created", timeout=60)
    assert client.is_experiment_created(name)
    exp = client.wait_for_experiment_condition(name, timeout=120)
    assert client.is_experiment_succeeded(name, experiment=exp)
    assert not client.is_experiment_failed(name)
    assert not client.is_experiment_running(name)
    assert exp.status.trials_succeeded == 4
    types = [c.type for c in client.get_experiment_conditions(name)]
    assert types[0] == "Created" and "Succeeded" in types
    assert name in [e.metadata.name for e in client.list_experiments()]

    optimal = client.get_optimal_hyperparameters(name)
    trials = client.list_trials(name)
    assert len(trials) == 4
    losses = {t.metadata.name: float(t.status.observation.metrics[0].latest) for t in trials}
    assert optimal.best_trial_name == min(losses, key=losses.get)
    assert optimal.parameter_assignments[0].name == "x"

    details = client.get_success_trial_details(name)
    assert sorted(d["name"] for d in details) == sorted(losses)
    assert details[0]["metrics"][0]["name"] == "loss"

    best = optimal.best_trial_name
    logs = client.get_trial_metrics(best)
    assert [(m.metric.name, float(m.metric.value)) for m in logs] == [("loss", losses[best])]
    # The same samples over gRPC, from the DBManager (as against Katib's db-manager).
    assert client.get_trial_metrics(best, db_manager_address=any_server.grpc) == logs
    assert client.get_trial_metrics(best, metric_name="nothing") == []
    assert client.get_trial(best).metadata.labels["katib.kubeflow.org/experiment"] == name
    lines = list(client.get_job_logs(name, best))
    assert lines == ["loss={}".format(logs[0].metric.value)]
    assert client.get_suggestion(name).status.suggestion_count == 4
    assert name in [s.metadata.name for s in client.list_suggestions()]

    # Katib's one allowed edit: the budget, which restarts a LongRunning experiment.
    # Right after the edit the experiment still reads Succeeded (the controller restarts it
    # a moment later): wait for the trial count instead.
    edited = client.edit_experiment_budget(name, max_trial_count=6)
    assert edited.spec.max_trial_count == 6
    exp = client.wait_for_experiment(
        name, until=lambda e: (e.status.trials_succeeded or 0) == 6
        and client.is_experiment_succeeded(name, experiment=e), timeout=120)
    assert len(client.list_trials(name)) == 6

    client.delete_experiment(name)
    with pytest.raises(NotFoundError):
        client.get_experiment(name)


def test_dataframes(client, name):
    pytest.importorskip("pandas")
    client.create_experiment(experiment(name, max_trials=3, parallel=3))
    client.wait_for_experiment_condition(name, timeout=120)
    df = client.list_trials(name).to_dataframe()
    assert len(df) == 3
    assert {"name", "status", "x", "loss"} <= set(df.columns)
    assert df["loss"].dtype.kind == "f"
    experiments = client.list_experiments().to_dataframe()
    assert name in set(experiments["name"])


def test_invalid_experiment_names_the_field(client, name):
    bad = experiment(name)
    bad["spec"]["parameters"][0]["feasibleSpace"] = {"min": "1", "max": "-1"}
    with pytest.raises(InvalidError) as e:
        client.create_experiment(bad)
    assert e.value.status == 422
    assert e.value.field == "spec.parameters[0].feasibleSpace.min"
    assert "feasibleSpace.max" in str(e.value)
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, ValueError)
    with pytest.raises(NotFoundError):
        client.get_experiment(name)  # nothing was stored


def test_duplicate_and_missing(client, name):
    client.create_experiment(experiment(name, max_trials=1, parallel=1))
    with pytest.raises(AlreadyExistsError) as e:
        client.create_experiment(experiment(name))
    assert e.value.status == 409 and name in str(e.value)
    with pytest.raises(NotFoundError) as e:
        client.get_trial("no-such-trial")
    assert "no-such-trial" in str(e.value)
    with pytest.raises(ValueError):
        client.edit_experiment_budget(name)
    client.wait_for_experiment_condition(name, timeout=120)
    client.delete_experiment(name)


def test_create_from_yaml_file_and_text(client, name, tmp_path):
    pytest.importorskip("yaml")
    import yaml
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment(name, max_trials=1, parallel=1)))
    assert client.create_experiment(str(path)).metadata.name == name
    other = experiment(name + "-text", max_trials=1, parallel=1)
    assert client.create_experiment(yaml.safe_dump(other)).metadata.name == name + "-text"
    for n in (name, name + "-text"):
        client.wait_for_experiment_condition(n, timeout=120)
        client.delete_experiment(n)


def test_wait_raises_when_the_experiment_fails(client, name):
    failing = experiment(name, max_trials=3, parallel=1, loss="raise SystemExit(3)")
    failing["spec"]["maxFailedTrialCount"] = 1
    client.create_experiment(failing)
    with pytest.raises(RuntimeError) as e:
        client.wait_for_experiment_condition(name, timeout=120)
    assert "failed" in str(e.value).lower()
    assert client.is_experiment_failed(name)
    assert client.wait_for_experiment_condition(name, expected_condition="Failed").metadata.name


def test_wait_times_out(client, name):
    slow = experiment(name, max_trials=1, parallel=1,
                      loss="import time; time.sleep(60)")
    client.create_experiment(slow)
    with pytest.raises(TimeoutError):
        client.wait_for_experiment_condition(name, timeout=1)
    client.delete_experiment(name)


def test_token_is_required_when_the_server_has_one(token_server):
    anonymous = KtuneClient(host=token_server.host, token=None)
    with pytest.raises(UnauthorizedError) as e:
        anonymous.list_experiments()
    assert e.value.status == 401
    wrong = KtuneClient(host=token_server.host, token="wrong")
    with pytest.raises(UnauthorizedError):
        wrong.list_experiments()


def test_token_from_the_environment(token_server, monkeypatch, tmp_path):
    monkeypatch.setenv("KTUNE_TOKEN", token_server.token)
    assert isinstance(KtuneClient(host=token_server.host).list_experiments(), list)
    monkeypatch.delenv("KTUNE_TOKEN")
    path = tmp_path / "token"
    path.write_text(token_server.token + "\n")
    assert isinstance(KtuneClient(host=token_server.host, token_file=str(path))
                      .list_experiments(), list)


def test_namespaces_are_kept_apart(any_server, name):
    a = any_server.client(namespace="team-a")
    b = any_server.client(namespace="team-b")
    a.create_experiment(experiment(name, max_trials=1, parallel=1))
    assert a.get_experiment(name).metadata.namespace == "team-a"
    with pytest.raises(NotFoundError):
        b.get_experiment(name)
    assert b.get_experiment(name, namespace="team-a").metadata.name == name
    a.wait_for_experiment_condition(name, timeout=120)
    a.delete_experiment(name)


def test_unreachable_host_is_a_clear_error():
    from ktune import ServerUnreachableError
    with pytest.raises(ServerUnreachableError) as e:
        KtuneClient(host="http://127.0.0.1:9").list_experiments()
    assert "127.0.0.1:9" in str(e.value)
