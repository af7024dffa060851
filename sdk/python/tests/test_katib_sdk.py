"""The real Katib Python SDK (kubeflow-katib) against a real `ktune server`.

kubeflow-katib is not a Debian package and CI reaches no PyPI, so this suite runs only when
KATIB_SDK_PATH names a directory where `import kubeflow.katib` works (the SDK's
sdk/python/v1beta1/kubeflow/katib with katib_api_pb2*.py, plus kubeflow-training's
kubeflow/training and kubeflow/storage_initializer), with Debian's python3-kubernetes,
python3-grpcio and python3-yaml. CI covers the same REST calls without the SDK in
tests/e2e/server/sdk_replay_test.py.

Every KatibClient method of KATIB.md section 10.1 runs, once against a server without auth
and once against one started with --token-file. The two gRPC calls (get_trial_metrics,
report_metrics) are checked for what they do on the grpcio installed: with grpcio < 1.63 the
SDK's generated stub cannot be built.

  KATIB_SDK_PATH=DIR KTUNE_BINARY=build/bin/ktune /usr/bin/python3 -m pytest -v \\
      sdk/python/tests/test_katib_sdk.py
"""

import copy
import os
import re
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, Optional

import pytest

SDK_PATH = os.environ.get("KATIB_SDK_PATH")
if not SDK_PATH:
    pytest.skip("the real Katib SDK is not installed here: set KATIB_SDK_PATH to a directory "
                "where `import kubeflow.katib` works", allow_module_level=True)
sys.path.insert(0, SDK_PATH)
try:
    import kubernetes.client
    from kubeflow import katib
except ImportError as e:  # pragma: no cover - depends on the directory given
    pytest.skip("KATIB_SDK_PATH=%s: cannot import kubeflow.katib: %s" % (SDK_PATH, e),
                allow_module_level=True)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e", "server"))
import katib_tune_case  # noqa: E402
from sdk_replay_test import KtuneServer  # noqa: E402

NS = "default"
WAIT_S = 120
NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def ktune_binary() -> str:
    binary = os.environ.get("KTUNE_BINARY") or os.path.join(REPO, "build", "bin", "ktune")
    if not os.access(binary, os.X_OK):
        pytest.skip("no ktune binary at %s (set KTUNE_BINARY)" % binary)
    return binary


def configuration(url: str, token: Optional[str]) -> "kubernetes.client.Configuration":
    """What a user writes: the server's URL as host and, with auth on, the bearer token."""
    cfg = kubernetes.client.Configuration()
    cfg.host = url
    if token is not None:
        cfg.api_key = {"authorization": "Bearer " + token}
    return cfg


class Session:
    """A ktune server, a KatibClient for it, and the tune() experiment run once on it."""

    def __init__(self, token: Optional[str]):
        self.token = token
        self.dir = tempfile.mkdtemp(prefix="ktune-katib-sdk-")
        # tune()'s trials run `python -u`; give the server (and so its trials) a `python`.
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        os.symlink(sys.executable, os.path.join(bin_dir, "python"))
        env = dict(os.environ)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        extra = []
        if token is not None:
            token_file = os.path.join(self.dir, "token")
            with open(token_file, "w") as f:
                f.write(token + "\n")
            extra = ["--token-file", token_file]
        self.server = KtuneServer(ktune_binary(), None, extra_args=extra, env=env)
        self.url = self.server.url
        self.grpc_address = "127.0.0.1:%d" % self.server.grpc_port
        self.client = katib.KatibClient(client_configuration=configuration(self.url, token),
                                        namespace=NS)
        self.tune_body = katib_tune_case.record_posted_experiment(
            self.client, lambda: self.client.tune(**katib_tune_case.tune_arguments(katib)))
        self.tuned = self.client.wait_for_experiment_condition(
            katib_tune_case.EXPERIMENT_NAME, namespace=NS, timeout=WAIT_S, polling_interval=1)

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["no-auth", "token-auth"])
def session(request) -> Iterator[Session]:
    s = Session(None if request.param == "no-auth" else "t0k-" + os.urandom(8).hex())
    try:
        yield s
    finally:
        s.close()


def wait_until(predicate, what: str, timeout_s: float = WAIT_S):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout_s, what))
        time.sleep(0.1)


def job_experiment(name: str, max_trials: int, resume_policy: str = "Never") -> Dict[str, Any]:
    """An Experiment as a dict: a shell trial that prints `loss=<lr>`."""
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name},
        "spec": {
            "maxTrialCount": max_trials, "parallelTrialCount": 1, "resumePolicy": resume_policy,
            "objective": {"type": "minimize", "objectiveMetricName": "loss"},
            "algorithm": {"algorithmName": "random"},
            "parameters": [{"name": "lr", "parameterType": "double",
                            "feasibleSpace": {"min": "0.01", "max": "0.1"}}],
            "trialTemplate": {
                "primaryContainerName": "main",
                "trialParameters": [{"name": "lr", "reference": "lr"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {
                    "spec": {"restartPolicy": "Never", "containers": [{
                        "name": "main", "image": "unused",
                        "command": ["sh", "-c", "echo loss=${trialParameters.lr}"]}]}}}}}}}


def as_model(body: Dict[str, Any]) -> Any:
    """The same Experiment as the SDK's models (create_experiment's usual argument)."""
    m = katib.models
    spec = body["spec"]
    container = spec["trialTemplate"]["trialSpec"]
    return m.V1beta1Experiment(
        api_version=body["apiVersion"], kind=body["kind"],
        metadata=kubernetes.client.V1ObjectMeta(name=body["metadata"]["name"], namespace=NS),
        spec=m.V1beta1ExperimentSpec(
            max_trial_count=spec["maxTrialCount"],
            parallel_trial_count=spec["parallelTrialCount"],
            resume_policy=spec["resumePolicy"],
            objective=m.V1beta1ObjectiveSpec(type="minimize", objective_metric_name="loss"),
            algorithm=m.V1beta1AlgorithmSpec(algorithm_name="random"),
            parameters=[m.V1beta1ParameterSpec(
                name="lr", parameter_type="double",
                feasible_space=m.V1beta1FeasibleSpace(min="0.01", max="0.1"))],
            trial_template=m.V1beta1TrialTemplate(
                primary_container_name="main",
                trial_parameters=[m.V1beta1TrialParameterSpec(name="lr", reference="lr")],
                trial_spec=copy.deepcopy(container))))


def assignments_as_dicts(assignments) -> list:
    return [{"name": a.name, "value": a.value} for a in assignments]


# ---- tune() of a function ----

def test_tune_posts_the_recorded_experiment(session):
    # The body CI replays (tests/e2e/server/data) is still what this SDK sends.
    assert session.tune_body == katib_tune_case.load_fixture()


def test_tune_trials_ran_the_function_on_the_server(session):
    status = session.tuned.status
    assert status.trials == katib_tune_case.MAX_TRIAL_COUNT
    assert status.trials_succeeded == katib_tune_case.MAX_TRIAL_COUNT
    details = session.client.get_success_trial_details(katib_tune_case.EXPERIMENT_NAME,
                                                       namespace=NS)
    assert len(details) == katib_tune_case.MAX_TRIAL_COUNT
    for d in details:
        assignments = assignments_as_dicts(d["parameter_assignments"])
        expected = katib_tune_case.expected_metrics(assignments)
        got = {m.name: float(m.latest) for m in d["metrics"]}
        assert sorted(got) == sorted(expected), d["name"]
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, abs=1e-6), (d["name"], name)


def test_get_optimal_hyperparameters_is_the_best_trial(session):
    optimal = session.client.get_optimal_hyperparameters(katib_tune_case.EXPERIMENT_NAME,
                                                         namespace=NS)
    assert isinstance(optimal, katib.models.V1beta1OptimalTrial)
    details = session.client.get_success_trial_details(katib_tune_case.EXPERIMENT_NAME,
                                                       namespace=NS)
    score = {d["name"]: float(next(m.latest for m in d["metrics"] if m.name == "score"))
             for d in details}
    best = max(score, key=score.get)
    assert optimal.best_trial_name == best
    best_detail = next(d for d in details if d["name"] == best)
    assert (assignments_as_dicts(optimal.parameter_assignments)
            == assignments_as_dicts(best_detail["parameter_assignments"]))
    assert {m.name for m in optimal.observation.metrics} == {"score", "penalty"}


def test_get_job_logs_follow_and_not(session):
    trial = session.client.list_trials(katib_tune_case.EXPERIMENT_NAME, namespace=NS)[0]
    name = trial.metadata.name
    expected = katib_tune_case.expected_metrics(
        assignments_as_dicts(trial.spec.parameter_assignments))
    line = "score=%.6f" % expected["score"]
    lines = list(session.client.get_job_logs(katib_tune_case.EXPERIMENT_NAME, name,
                                             namespace=NS))
    assert line in lines
    followed = list(session.client.get_job_logs(katib_tune_case.EXPERIMENT_NAME, name,
                                                follow=True, namespace=NS))
    assert line in followed
    with pytest.raises(RuntimeError, match="not found"):
        list(session.client.get_job_logs(katib_tune_case.EXPERIMENT_NAME, "no-such-trial",
                                         namespace=NS))


# ---- the rest of KatibClient ----

def test_experiment_lifecycle(session):
    c = session.client
    model_body = job_experiment("sdk-model", 3, resume_policy="LongRunning")
    c.create_experiment(as_model(model_body), namespace=NS)
    c.create_experiment(job_experiment("sdk-dict", 2), namespace=NS)
    with pytest.raises(Exception, match="already exists"):
        c.create_experiment(job_experiment("sdk-dict", 2), namespace=NS)
    with pytest.raises(RuntimeError, match="Failed to create Katib Experiment"):
        c.create_experiment({"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
                             "metadata": {"name": "sdk-invalid"}, "spec": {}}, namespace=NS)

    experiment = c.get_experiment("sdk-model", namespace=NS)
    assert isinstance(experiment, katib.models.V1beta1Experiment)
    assert experiment.spec.max_trial_count == 3
    names = [e.metadata.name for e in c.list_experiments(namespace=NS)]
    assert {"sdk-model", "sdk-dict", katib_tune_case.EXPERIMENT_NAME} <= set(names)
    assert "sdk-invalid" not in names

    done = c.wait_for_experiment_condition("sdk-model", namespace=NS, timeout=WAIT_S,
                                           polling_interval=1)
    assert done.status.trials == 3
    types = [x.type for x in c.get_experiment_conditions("sdk-model", namespace=NS)]
    assert {"Created", "Succeeded"} <= set(types)
    assert c.is_experiment_created("sdk-model", namespace=NS)
    assert c.is_experiment_succeeded("sdk-model", namespace=NS)
    assert c.is_experiment_succeeded("sdk-model", namespace=NS, experiment=done)
    assert not c.is_experiment_running("sdk-model", namespace=NS)
    assert not c.is_experiment_restarting("sdk-model", namespace=NS)
    assert not c.is_experiment_failed("sdk-model", namespace=NS)

    # edit_experiment_budget: GET, then PATCH (merge-patch) with the whole object.
    c.edit_experiment_budget("sdk-model", namespace=NS, max_trial_count=5)
    assert c.get_experiment("sdk-model", namespace=NS).spec.max_trial_count == 5
    # The server marks the restart when it reconciles the change, as Katib's controller does.
    wait_until(lambda: c.is_experiment_restarting("sdk-model", namespace=NS),
               "sdk-model to be Restarting")
    wait_until(lambda: (c.get_experiment("sdk-model", namespace=NS).status.trials == 5
                        and c.is_experiment_succeeded("sdk-model", namespace=NS)),
               "sdk-model to run its new budget of 5 trials")
    # resumePolicy Never: Katib refuses the restart, and the SDK says it failed.
    c.wait_for_experiment_condition("sdk-dict", namespace=NS, timeout=WAIT_S, polling_interval=1)
    with pytest.raises(RuntimeError, match="Failed to edit Katib Experiment"):
        c.edit_experiment_budget("sdk-dict", namespace=NS, max_trial_count=4)

    c.delete_experiment("sdk-dict", namespace=NS)
    wait_until(lambda: "sdk-dict" not in [e.metadata.name
                                          for e in c.list_experiments(namespace=NS)],
               "sdk-dict to be deleted")
    with pytest.raises(RuntimeError, match="Failed to get Katib Experiment"):
        c.get_experiment("sdk-dict", namespace=NS)
    with pytest.raises(RuntimeError, match="Failed to delete Katib Experiment"):
        c.delete_experiment("sdk-dict", namespace=NS)
    c.delete_experiment("sdk-model", namespace=NS,
                        delete_options=kubernetes.client.V1DeleteOptions(
                            propagation_policy="Foreground"))
    wait_until(lambda: "sdk-model" not in [e.metadata.name
                                           for e in c.list_experiments(namespace=NS)],
               "sdk-model to be deleted")
    assert c.list_trials("sdk-model", namespace=NS) == []


def test_failed_experiment(session):
    c = session.client

    def failing(parameters):
        raise SystemExit(3)

    c.tune(name="sdk-failing", objective=failing, parameters={"a": katib.search.int(1, 3)},
           objective_metric_name="m", max_trial_count=2, parallel_trial_count=1,
           max_failed_trial_count=0, namespace=NS)
    with pytest.raises(RuntimeError, match="is Failed"):
        c.wait_for_experiment_condition("sdk-failing", namespace=NS, timeout=WAIT_S,
                                        polling_interval=1)
    assert c.is_experiment_failed("sdk-failing", namespace=NS)
    assert c.get_optimal_hyperparameters("sdk-failing", namespace=NS) is None
    assert c.get_success_trial_details("sdk-failing", namespace=NS) == []


def test_suggestions_and_trials(session):
    c = session.client
    name = katib_tune_case.EXPERIMENT_NAME
    suggestion = c.get_suggestion(name, namespace=NS)
    assert isinstance(suggestion, katib.models.V1beta1Suggestion)
    assert suggestion.spec.algorithm.algorithm_name == "random"
    with pytest.raises(RuntimeError, match="Failed to get Katib Suggestion"):
        c.get_suggestion("no-such-experiment", namespace=NS)
    # Katib's bug: list_suggestions lists the experiments, read as V1beta1Suggestion.
    listed = c.list_suggestions(namespace=NS)
    assert all(isinstance(s, katib.models.V1beta1Suggestion) for s in listed)
    assert ([s.metadata.name for s in listed]
            == [e.metadata.name for e in c.list_experiments(namespace=NS)])

    trials = c.list_trials(name, namespace=NS)
    assert len(trials) == katib_tune_case.MAX_TRIAL_COUNT
    assert all(t.metadata.labels["katib.kubeflow.org/experiment"] == name for t in trials)
    assert len(c.list_trials(namespace=NS)) >= len(trials)
    assert c.list_trials("no-such-experiment", namespace=NS) == []
    one = c.get_trial(trials[0].metadata.name, namespace=NS)
    assert isinstance(one, katib.models.V1beta1Trial)
    assert {m.name for m in one.status.observation.metrics} == {"score", "penalty"}
    with pytest.raises(RuntimeError, match="Failed to get Katib Trial"):
        c.get_trial("no-such-trial", namespace=NS)


def test_kubeconfig_file(session, tmp_path):
    """KatibClient(config_file=...): a kubeconfig naming the server (and the token)."""
    user = "{token: %s}" % session.token if session.token else "{}"
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: ktune, cluster: {server: %s}}]\n"
        "users: [{name: me, user: %s}]\n"
        "contexts: [{name: ktune, context: {cluster: ktune, user: me}}]\n"
        "current-context: ktune\n" % (session.url, user))
    c = katib.KatibClient(config_file=str(path), namespace=NS)
    assert katib_tune_case.EXPERIMENT_NAME in [e.metadata.name
                                               for e in c.list_experiments(namespace=NS)]


def test_token_required_when_auth_is_on(session):
    if session.token is None:
        pytest.skip("this server runs without --token-file")
    for token in (None, "wrong-" + session.token):
        c = katib.KatibClient(client_configuration=configuration(session.url, token),
                              namespace=NS)
        with pytest.raises(RuntimeError, match="Failed to list Katib Experiments"):
            c.list_experiments(namespace=NS)
    # The api_key_prefix form of the same header.
    cfg = kubernetes.client.Configuration()
    cfg.host = session.url
    cfg.api_key = {"authorization": session.token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    c = katib.KatibClient(client_configuration=cfg, namespace=NS)
    assert c.list_experiments(namespace=NS)


# ---- the two gRPC calls ----

def grpc_version() -> tuple:
    import grpc
    return tuple(int(x) for x in re.findall(r"\d+", grpc.__version__)[:2])


def test_get_trial_metrics(session):
    trial = session.client.list_trials(katib_tune_case.EXPERIMENT_NAME, namespace=NS)[0]
    name = trial.metadata.name
    if grpc_version() < (1, 63):
        # The generated stub passes _registered_method=True to channel.unary_unary.
        with pytest.raises(TypeError, match="_registered_method"):
            session.client.get_trial_metrics(name, namespace=NS,
                                             db_manager_address=session.grpc_address)
        return
    logs = session.client.get_trial_metrics(name, namespace=NS,
                                            db_manager_address=session.grpc_address)
    expected = katib_tune_case.expected_metrics(
        assignments_as_dicts(trial.spec.parameter_assignments))
    got = {log.metric.name: float(log.metric.value) for log in logs}
    assert got == pytest.approx(expected, abs=1e-6)


def test_report_metrics(session, monkeypatch):
    trial = session.client.list_trials(katib_tune_case.EXPERIMENT_NAME, namespace=NS)[0]
    monkeypatch.setenv("KATIB_TRIAL_NAME", trial.metadata.name)
    if not os.path.exists(NAMESPACE_FILE):
        # It reads the pod's service-account namespace before anything else.
        with pytest.raises(FileNotFoundError, match="serviceaccount/namespace"):
            katib.report_metrics({"extra": 2.5}, db_manager_address=session.grpc_address)
        return
    if grpc_version() < (1, 63):
        with pytest.raises(TypeError, match="_registered_method"):
            katib.report_metrics({"extra": 2.5}, db_manager_address=session.grpc_address)
        return
    katib.report_metrics({"extra": 2.5}, db_manager_address=session.grpc_address)
    logs = session.client.get_trial_metrics(trial.metadata.name, namespace=NS,
                                            db_manager_address=session.grpc_address)
    assert ("extra", "2.5") in [(log.metric.name, log.metric.value) for log in logs]
