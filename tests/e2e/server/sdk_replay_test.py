#!/usr/bin/python3
"""Replays the Katib Python SDK's calls (SERVER.md section B.3) against a real `ktune server`.

Katib's SDK (kubeflow-katib) is not a Debian package, so this test makes the same
kubernetes.client calls its KatibClient methods make, with Debian's python3-kubernetes, in the
same order a notebook would: create_experiment, get/list_experiments, the condition checks,
wait_for_experiment_condition (polling GET, as the SDK does), get_optimal_hyperparameters,
list_trials, get_success_trial_details, get_suggestion, get_job_logs, edit_experiment_budget,
delete_experiment; and get_trial_metrics (gRPC DBManager GetObservationLog) when Debian's
python3-grpcio is installed (plain stubs, messages encoded by hand: the SDK's generated stub
needs grpcio >= 1.63).

The server runs examples/quickstart/experiment.yaml with its workdir set to
examples/quickstart. SdkTuneReplayTest then replays KatibClient.tune() of a function: the
Experiment body the real SDK POSTed (data/katib_sdk_tune_experiment.json, see
katib_tune_case.py), whose trials run the function's source as `python -u` on the server.
The binary is $KTUNE_BINARY, else build/bin/ktune of the repository.

  /usr/bin/python3 tests/e2e/server/sdk_replay_test.py [-v] [TestCase.test_name]
"""

import copy
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import kubernetes.client
import yaml
from kubernetes.client.rest import ApiException

import katib_tune_case

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
QUICKSTART = os.path.join(REPO, "examples", "quickstart")
GROUP, VERSION = "kubeflow.org", "v1beta1"
NS = "default"
EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
TRIAL_LABEL = "katib.kubeflow.org/trial"
# The SDK's timeouts are 120 s (get) and 600 s (wait); the quickstart finishes in seconds.
WAIT_S = 120


class FakeResponse:
    """What Katib's utils.FakeResponse is: lets ApiClient.deserialize read a dict."""

    def __init__(self, obj):
        self.data = json.dumps(obj)


def has_condition(obj, condition_type):
    """Katib's utils.has_condition: a condition of that type with status exactly "True"."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == condition_type and c.get("status") == "True" for c in conditions)


def as_sdk_model_body(api_client, obj):
    """The body edit_experiment_budget sends: the experiment as the SDK's model holds it.

    The SDK deserializes into V1beta1Experiment, whose metadata is a kubernetes V1ObjectMeta
    and whose condition times are datetimes; sanitize_for_serialization writes those back with
    isoformat(), i.e. `+00:00` instead of `Z`. Katib's models are not installed, so the same
    happens here with the kubernetes models and dateutil for the condition times.
    """
    from dateutil.parser import isoparse

    body = copy.deepcopy(obj)
    body["metadata"] = api_client.deserialize(FakeResponse(obj["metadata"]), "V1ObjectMeta")
    for c in (body.get("status") or {}).get("conditions") or []:
        for key in ("lastTransitionTime", "lastUpdateTime"):
            if c.get(key):
                c[key] = isoparse(c[key])
    for key in ("startTime", "completionTime", "lastReconcileTime"):
        if (body.get("status") or {}).get(key):
            body["status"][key] = isoparse(body["status"][key])
    return body


def ktune_binary():
    binary = os.environ.get("KTUNE_BINARY") or os.path.join(REPO, "build", "bin", "ktune")
    if not os.access(binary, os.X_OK):
        raise unittest.SkipTest("no ktune binary at %s (set KTUNE_BINARY)" % binary)
    return binary


class KtuneServer:
    """A real `ktune server` on free ports in a temporary directory."""

    def __init__(self, binary, workdir, extra_args=(), env=None):
        """workdir None: a fresh one in the server's directory; env: the server's environment
        (its trials inherit it), None for this process's."""
        self.dir = tempfile.mkdtemp(prefix="ktune-sdk-replay-")
        if workdir is None:
            workdir = os.path.join(self.dir, "work")
            os.mkdir(workdir)
        self.stderr_path = os.path.join(self.dir, "server.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "server", "--port", "0", "--grpc-port", "0",
             "--db", os.path.join(self.dir, "ktune.db"), "--workdir", workdir,
             "--max-running-trials", "4", "--log-level", "warn"] + list(extra_args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        self.url, self.grpc_port = self._wait_listening(60)

    def _wait_listening(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        seen = []
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            seen.append(line)
            # ktune server: listening on http://127.0.0.1:PORT grpc GPORT
            if line.startswith("ktune server: listening on "):
                words = line.split()
                return words[4], int(words[6])
        self.stop()
        raise AssertionError("ktune server printed no listening line within %d s; stdout %r, "
                             "stderr:\n%s" % (timeout_s, seen, self.log()))

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path, errors="replace") as f:
            return f.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SdkCalls:
    """Katib's KatibClient methods as katib_client.py makes the calls (self.custom: a
    CustomObjectsApi, self.server: a KtuneServer)."""

    def fail_with_log(self, message):
        self.fail("%s\n--- server stderr (tail) ---\n%s" % (message, self.server.log()))

    def create_experiment(self, experiment):
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, NS, "experiments",
                                                           experiment)

    def get_experiment(self, name):
        thread = self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "experiments", name,
                                                          async_req=True)
        return thread.get(WAIT_S)

    def list_experiments(self):
        thread = self.custom.list_namespaced_custom_object(GROUP, VERSION, NS, "experiments",
                                                           async_req=True)
        return thread.get(WAIT_S)

    def wait_for_experiment_condition(self, name, expected="Succeeded", timeout_s=WAIT_S):
        # The SDK polls GET every polling_interval (15 s by default); a shorter interval here.
        deadline = time.monotonic() + timeout_s
        while True:
            experiment = self.get_experiment(name)
            if has_condition(experiment, expected):
                return experiment
            if expected != "Failed" and has_condition(experiment, "Failed"):
                self.fail_with_log("experiment %s failed: %s" % (
                    name, json.dumps(experiment["status"].get("conditions"))))
            if time.monotonic() > deadline:
                self.fail_with_log("experiment %s not %s after %d s; status %s" % (
                    name, expected, timeout_s, json.dumps(experiment.get("status"))))
            time.sleep(0.2)

    def list_trials(self, experiment_name=None):
        kwargs = {"async_req": True}
        if experiment_name is not None:
            kwargs["label_selector"] = "%s=%s" % (EXPERIMENT_LABEL, experiment_name)
        thread = self.custom.list_namespaced_custom_object(GROUP, VERSION, NS, "trials", **kwargs)
        return thread.get(WAIT_S)

    def edit_experiment_budget(self, name, max_trial_count):
        experiment = self.get_experiment(name)
        experiment["spec"]["maxTrialCount"] = max_trial_count
        return self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, NS, "experiments", name, as_sdk_model_body(self.api_client, experiment))


    def job_logs(self, trial_name):
        """get_job_logs(name, trial_name, follow=False): the trial, its pods, the log."""
        trial = self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "trials", trial_name)
        self.assertIn("conditions", trial.get("status", {}))
        label_selector = "%s=%s" % (TRIAL_LABEL, trial_name)
        primary = trial.get("spec", {}).get("primaryPodLabels")
        if primary:
            label_selector = ",".join([label_selector] + ["%s=%s" % kv for kv in primary.items()])
        pods = self.core.list_namespaced_pod(namespace=NS, label_selector=label_selector)
        self.assertTrue(pods.items, "no pods for trial %s" % trial_name)
        kind = trial.get("spec", {}).get("metricsCollector", {}).get("collector", {}).get("kind")
        container = ("metrics-logger-and-collector" if kind == "StdOut"
                     else trial.get("spec", {}).get("primaryContainerName"))
        return self.core.read_namespaced_pod_log(name=pods.items[0].metadata.name, namespace=NS,
                                                 container=container)

class SdkReplayTest(SdkCalls, unittest.TestCase):
    """One notebook session: the steps run in order (unittest sorts them by name)."""

    @classmethod
    def setUpClass(cls):
        cls.server = KtuneServer(ktune_binary(), QUICKSTART)
        cfg = kubernetes.client.Configuration()
        cfg.host = cls.server.url
        cls.api_client = kubernetes.client.ApiClient(cfg)
        cls.custom = kubernetes.client.CustomObjectsApi(cls.api_client)
        cls.core = kubernetes.client.CoreV1Api(cls.api_client)
        with open(os.path.join(QUICKSTART, "experiment.yaml")) as f:
            cls.experiment = yaml.safe_load(f)
        cls.name = cls.experiment["metadata"]["name"]

    @classmethod
    def tearDownClass(cls):
        cls.api_client.close()
        cls.server.stop()

    # ---- the session ----

    def test_01_create_experiment(self):
        created = self.create_experiment(self.experiment)
        meta = created["metadata"]
        self.assertEqual(meta["name"], self.name)  # the SDK reads outputs["metadata"]["name"]
        self.assertEqual(meta["namespace"], NS)
        self.assertTrue(meta.get("uid"))
        self.assertTrue(meta.get("resourceVersion"))
        self.assertEqual(meta.get("generation"), 1)
        self.assertRegex(meta.get("creationTimestamp", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # A second create_experiment: the SDK turns 409 into "already exists".
        with self.assertRaises(ApiException) as duplicate:
            self.create_experiment(self.experiment)
        self.assertEqual(duplicate.exception.status, 409)
        status = json.loads(duplicate.exception.body)
        self.assertEqual(status.get("kind"), "Status")
        self.assertEqual(status.get("reason"), "AlreadyExists")

    def test_02_get_and_list_experiments(self):
        experiment = self.get_experiment(self.name)
        self.assertEqual(experiment["kind"], "Experiment")
        self.assertEqual(experiment["apiVersion"], "kubeflow.org/v1beta1")
        self.assertEqual(experiment["spec"]["maxTrialCount"], 12)
        # Katib's defaults are applied (resumePolicy Never, the StdOut collector).
        self.assertEqual(experiment["spec"].get("resumePolicy"), "Never")
        self.assertEqual(experiment["spec"]["metricsCollectorSpec"]["collector"]["kind"], "StdOut")
        listed = self.list_experiments()
        self.assertEqual(listed.get("kind"), "ExperimentList")
        self.assertTrue(listed["metadata"].get("resourceVersion"))
        names = [item["metadata"]["name"] for item in listed["items"]]
        self.assertIn(self.name, names)
        for item in listed["items"]:
            self.assertEqual(item.get("kind"), "Experiment")
            self.assertEqual(item.get("apiVersion"), "kubeflow.org/v1beta1")
        with self.assertRaises(ApiException) as missing:
            self.get_experiment("no-such-experiment")
        self.assertEqual(missing.exception.status, 404)

    def test_03_wait_for_succeeded(self):
        experiment = self.wait_for_experiment_condition(self.name, "Succeeded")
        # is_experiment_created / succeeded / failed / running, as the SDK computes them.
        self.assertTrue(has_condition(experiment, "Created"))
        self.assertTrue(has_condition(experiment, "Succeeded"))
        self.assertFalse(has_condition(experiment, "Failed"))
        self.assertFalse(has_condition(experiment, "Running"))
        succeeded = [c for c in experiment["status"]["conditions"] if c["type"] == "Succeeded"]
        self.assertEqual(succeeded[0]["reason"], "ExperimentMaxTrialsReached")
        status = experiment["status"]
        self.assertEqual(status.get("trials"), 12)
        self.assertEqual(status.get("trialsSucceeded"), 12)
        self.assertEqual(len(status.get("succeededTrialList", [])), 12)

    def test_04_get_optimal_hyperparameters(self):
        experiment = self.get_experiment(self.name)
        optimal = experiment["status"].get("currentOptimalTrial")
        # The SDK dereferences .observation.metrics unguarded: it must be there.
        self.assertIsNotNone(optimal)
        self.assertIn("observation", optimal)
        metrics = {m["name"]: m for m in optimal["observation"].get("metrics", [])}
        self.assertIn("loss", metrics)
        self.assertIn("accuracy", metrics)
        self.assertEqual(sorted(p["name"] for p in optimal["parameterAssignments"]),
                         ["lr", "momentum", "num-layers", "optimizer"])
        # It is the best trial: the lowest loss (minimize, strategy min) of all trials.
        trials = self.list_trials(self.name)["items"]
        losses = {}
        for t in trials:
            for m in t["status"]["observation"]["metrics"]:
                if m["name"] == "loss":
                    losses[t["metadata"]["name"]] = float(m["min"])
        best = min(losses, key=losses.get)
        self.assertEqual(optimal["bestTrialName"], best)
        self.assertAlmostEqual(float(metrics["loss"]["min"]), losses[best])

    def test_05_list_trials(self):
        listed = self.list_trials(self.name)
        self.assertEqual(listed.get("kind"), "TrialList")
        self.assertEqual(len(listed["items"]), 12)
        for t in listed["items"]:
            self.assertEqual(t["metadata"]["labels"][EXPERIMENT_LABEL], self.name)
            self.assertEqual(t.get("kind"), "Trial")
        everything = self.list_trials()
        self.assertGreaterEqual(len(everything["items"]), 12)
        self.assertEqual(
            self.list_trials("no-such-experiment")["items"], [],
            "a label selector that matches nothing must give an empty list")
        one = listed["items"][0]["metadata"]["name"]
        trial = self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "trials", one)
        self.assertEqual(trial["metadata"]["name"], one)
        self.assertEqual(len(trial["spec"]["parameterAssignments"]), 4)

    def test_06_get_success_trial_details(self):
        result = []
        for t in self.list_trials(self.name)["items"]:
            if has_condition(t, "Succeeded"):
                # The SDK reads trial.status.observation.metrics of every Succeeded trial.
                self.assertIn("observation", t["status"], t["metadata"]["name"])
                result.append({"name": t["metadata"]["name"],
                               "parameter_assignments": t["spec"]["parameterAssignments"],
                               "metrics": t["status"]["observation"]["metrics"]})
        self.assertEqual(len(result), 12)
        for r in result:
            self.assertEqual(sorted(m["name"] for m in r["metrics"]), ["accuracy", "loss"])
            for m in r["metrics"]:
                float(m["min"]), float(m["max"]), float(m["latest"])  # numbers, as reported

    def test_07_get_suggestion(self):
        suggestion = self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "suggestions",
                                                              self.name)
        self.assertEqual(suggestion.get("kind"), "Suggestion")
        self.assertEqual(suggestion["metadata"]["name"], self.name)
        self.assertEqual(suggestion["spec"]["algorithm"]["algorithmName"], "random")
        with self.assertRaises(ApiException) as missing:
            self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "suggestions",
                                                     "no-such-experiment")
        self.assertEqual(missing.exception.status, 404)

    def test_08_get_job_logs(self):
        trial_name = self.list_trials(self.name)["items"][0]["metadata"]["name"]
        trial = self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "trials", trial_name)
        self.assertIn("conditions", trial.get("status", {}))
        label_selector = "%s=%s" % (TRIAL_LABEL, trial_name)
        primary = trial.get("spec", {}).get("primaryPodLabels")
        if primary:
            label_selector = ",".join([label_selector] + ["%s=%s" % kv for kv in primary.items()])
        # Deserialized into V1PodList by the client: the pods must be valid core/v1 objects.
        pods = self.core.list_namespaced_pod(namespace=NS, label_selector=label_selector)
        self.assertTrue(pods.items, "no pods for trial %s" % trial_name)
        pod_name = pods.items[0].metadata.name
        self.assertEqual(pods.items[0].metadata.labels.get(TRIAL_LABEL), trial_name)
        kind = trial.get("spec", {}).get("metricsCollector", {}).get("collector", {}).get("kind")
        self.assertEqual(kind, "StdOut")
        container = "metrics-logger-and-collector"
        logs = self.core.read_namespaced_pod_log(name=pod_name, namespace=NS, container=container)
        lines = logs.splitlines()
        # train.py prints one line per epoch (5 epochs).
        self.assertEqual(len([x for x in lines if x.startswith("epoch=")]), 5, logs[:2000])
        self.assertIn("loss=", logs)
        # A pod of another trial is not listed.
        self.assertEqual(self.core.list_namespaced_pod(
            namespace=NS, label_selector="%s=no-such-trial" % TRIAL_LABEL).items, [])

    def test_09_get_trial_metrics_grpc(self):
        try:
            import grpc  # Debian's python3-grpcio
        except ImportError:
            self.skipTest("python3-grpcio is not installed (apt-get install python3-grpcio)")
        trial_name = self.list_trials(self.name)["items"][0]["metadata"]["name"]
        channel = grpc.insecure_channel("127.0.0.1:%d" % self.server.grpc_port)
        try:
            call = channel.unary_unary("/api.v1.beta1.DBManager/GetObservationLog",
                                       request_serializer=lambda b: b,
                                       response_deserializer=lambda b: b)
            # GetObservationLogRequest{trial_name: 1}: only the name, as the SDK sends.
            reply = call(_pb_field(1, trial_name.encode()), timeout=30)
        finally:
            channel.close()
        # GetObservationLogReply{observation_log: 1 {metric_logs: 1 {time_stamp: 1,
        # metric: 2 {name: 1, value: 2}}}}
        logs = []
        for _, observation_log in _pb_fields(reply):
            for _, metric_log in _pb_fields(observation_log):
                entry = dict(_pb_fields(metric_log))
                metric = dict(_pb_fields(entry.get(2, b"")))
                logs.append((entry.get(1, b"").decode(), metric.get(1, b"").decode(),
                             metric.get(2, b"").decode()))
        names = [n for _, n, _ in logs]
        self.assertEqual(names.count("loss"), 5, logs)
        self.assertEqual(names.count("accuracy"), 5, logs)
        for time_stamp, _, value in logs:
            self.assertTrue(time_stamp)
            float(value)

    def test_10_edit_experiment_budget(self):
        # Katib's rule: a completed experiment with resumePolicy Never cannot be restarted,
        # so raising maxTrialCount of the quickstart is refused (422) ...
        with self.assertRaises(ApiException) as refused:
            self.edit_experiment_budget(self.name, 14)
        self.assertEqual(refused.exception.status, 422, refused.exception.body)
        self.assertIn("resumePolicy", refused.exception.body)
        # ... and one with resumePolicy LongRunning restarts and runs the new budget.
        budget = copy.deepcopy(self.experiment)
        budget["metadata"]["name"] = "quickstart-budget"
        budget["spec"]["resumePolicy"] = "LongRunning"
        budget["spec"]["maxTrialCount"] = 3
        self.create_experiment(budget)
        before = self.wait_for_experiment_condition("quickstart-budget", "Succeeded")
        self.assertEqual(before["status"]["trials"], 3)
        patched = self.edit_experiment_budget("quickstart-budget", 5)
        self.assertEqual(patched["spec"]["maxTrialCount"], 5)
        after = self.get_experiment("quickstart-budget")
        self.assertEqual(after["spec"]["maxTrialCount"], 5)
        self.assertEqual(after["metadata"]["generation"], before["metadata"]["generation"] + 1)
        # creationTimestamp and uid are kept; the SDK sent the time as +00:00.
        self.assertEqual(after["metadata"]["creationTimestamp"],
                         before["metadata"]["creationTimestamp"])
        self.assertEqual(after["metadata"]["uid"], before["metadata"]["uid"])
        # A stale resourceVersion (what `before` carried) is a conflict.
        stale = copy.deepcopy(before)
        stale["spec"]["maxTrialCount"] = 6
        with self.assertRaises(ApiException) as conflict:
            self.custom.patch_namespaced_custom_object(
                GROUP, VERSION, NS, "experiments", "quickstart-budget",
                as_sdk_model_body(self.api_client, stale))
        self.assertEqual(conflict.exception.status, 409, conflict.exception.body)
        self.assertEqual(json.loads(conflict.exception.body).get("reason"), "Conflict")
        self.assertEqual(self.get_experiment("quickstart-budget")["spec"]["maxTrialCount"], 5)
        # The restarted experiment runs to its new budget.
        deadline = time.monotonic() + WAIT_S
        while True:
            e = self.get_experiment("quickstart-budget")
            if has_condition(e, "Succeeded") and e["status"].get("trials") == 5:
                break
            if time.monotonic() > deadline:
                self.fail_with_log("quickstart-budget did not run to 5 trials: %s" %
                                   json.dumps(e.get("status")))
            time.sleep(0.2)
        self.assertEqual(e["status"]["trialsSucceeded"], 5)
        self.assertEqual(len(self.list_trials("quickstart-budget")["items"]), 5)

    def test_11_delete_experiment(self):
        trial_name = self.list_trials(self.name)["items"][0]["metadata"]["name"]
        # The SDK passes body=None (no DeleteOptions).
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "experiments", self.name,
                                                    body=None)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                self.get_experiment(self.name)
            except ApiException as e:
                self.assertEqual(e.status, 404)
                break
            if time.monotonic() > deadline:
                self.fail_with_log("experiment %s still there after delete" % self.name)
            time.sleep(0.1)
        self.assertEqual(self.list_trials(self.name)["items"], [])
        with self.assertRaises(ApiException) as gone:
            self.custom.get_namespaced_custom_object(GROUP, VERSION, NS, "trials", trial_name)
        self.assertEqual(gone.exception.status, 404)
        names = [i["metadata"]["name"] for i in self.list_experiments()["items"]]
        self.assertNotIn(self.name, names)
        self.assertIn("quickstart-budget", names)


class SdkTuneReplayTest(SdkCalls, unittest.TestCase):
    """KatibClient.tune(objective=fn, parameters=...): the Experiment the real SDK POSTed
    (data/katib_sdk_tune_experiment.json, recorded by katib_tune_case.py) replayed as its
    create_experiment sends it; its trials run the function's source on the server."""

    @classmethod
    def setUpClass(cls):
        cls.body = katib_tune_case.load_fixture()
        cls.name = cls.body["metadata"]["name"]
        # The SDK's script runs `python -u`; trials inherit the server's PATH. Debian has no
        # `python` (python-is-python3 adds one), so the server gets a PATH that has one.
        cls.bin_dir = tempfile.mkdtemp(prefix="ktune-sdk-python-")
        os.symlink(sys.executable, os.path.join(cls.bin_dir, "python"))
        env = dict(os.environ)
        env["PATH"] = cls.bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        cls.server = KtuneServer(ktune_binary(), None, env=env)
        cfg = kubernetes.client.Configuration()
        cfg.host = cls.server.url
        cls.api_client = kubernetes.client.ApiClient(cfg)
        cls.custom = kubernetes.client.CustomObjectsApi(cls.api_client)
        cls.core = kubernetes.client.CoreV1Api(cls.api_client)

    @classmethod
    def tearDownClass(cls):
        cls.api_client.close()
        cls.server.stop()
        shutil.rmtree(cls.bin_dir, ignore_errors=True)

    def test_01_the_recorded_body_is_the_sdk_job_trial(self):
        # What the fixture must be for this test to mean anything: a Job trial whose
        # container runs the function's source through `bash -c` and `python -u`.
        template = self.body["spec"]["trialTemplate"]
        container = template["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(template["trialSpec"]["kind"], "Job")
        self.assertEqual(container["command"], ["bash", "-c"])
        script = container["args"][0]
        self.assertIn("def objective(parameters):", script)
        self.assertIn("python -u ", script)
        for p in ("x", "n", "optimizer"):
            self.assertIn("'${trialParameters.%s}'" % p, script)

    def test_02_tune_trials_run_the_function(self):
        created = self.create_experiment(self.body)
        self.assertEqual(created["metadata"]["name"], self.name)
        experiment = self.wait_for_experiment_condition(self.name, "Succeeded")
        status = experiment["status"]
        self.assertEqual(status.get("trials"), katib_tune_case.MAX_TRIAL_COUNT, status)
        self.assertEqual(status.get("trialsSucceeded"), katib_tune_case.MAX_TRIAL_COUNT, status)
        trials = self.list_trials(self.name)["items"]
        self.assertEqual(len(trials), katib_tune_case.MAX_TRIAL_COUNT)
        for t in trials:
            name = t["metadata"]["name"]
            self.assertTrue(has_condition(t, "Succeeded"), (name, t.get("status")))
            assignments = t["spec"]["parameterAssignments"]
            values = {a["name"]: a["value"] for a in assignments}
            self.assertTrue(-1.0 <= float(values["x"]) <= 1.0, values)
            self.assertIn(int(values["n"]), range(0, 5), values)
            self.assertIn(values["optimizer"], ("sgd", "adam"), values)
            # The trial's metrics are what the function prints for these parameters.
            expected = katib_tune_case.expected_metrics(assignments)
            got = {m["name"]: float(m["latest"]) for m in t["status"]["observation"]["metrics"]}
            self.assertEqual(sorted(got), sorted(expected), name)
            for metric, value in expected.items():
                self.assertAlmostEqual(got[metric], value, places=6, msg=(name, metric))
            # get_job_logs: the function's own output, from the process the server ran.
            log = self.job_logs(name)
            self.assertIn("score=%.6f" % expected["score"], log.splitlines(), log[-2000:])

    def test_03_get_optimal_hyperparameters(self):
        experiment = self.get_experiment(self.name)
        optimal = experiment["status"]["currentOptimalTrial"]
        scores = {}
        for t in self.list_trials(self.name)["items"]:
            for m in t["status"]["observation"]["metrics"]:
                if m["name"] == katib_tune_case.OBJECTIVE_METRIC:
                    scores[t["metadata"]["name"]] = (float(m["latest"]),
                                                     t["spec"]["parameterAssignments"])
        best = max(scores, key=lambda n: scores[n][0])
        self.assertEqual(optimal["bestTrialName"], best)
        self.assertEqual(optimal["parameterAssignments"], scores[best][1])
        metrics = {m["name"]: m for m in optimal["observation"]["metrics"]}
        self.assertAlmostEqual(float(metrics["score"]["latest"]), scores[best][0], places=6)
        self.assertIn("penalty", metrics)


def _pb_field(number, payload):
    """One length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _pb_fields(data):
    """(field number, bytes) of every length-delimited field; other wire types skipped."""
    i, out = 0, []
    while i < len(data):
        key, i = _read_varint(data, i)
        wire = key & 7
        if wire == 2:
            length, i = _read_varint(data, i)
            out.append((key >> 3, data[i:i + length]))
            i += length
        elif wire == 0:
            _, i = _read_varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError("unexpected protobuf wire type %d" % wire)
    return out


def _read_varint(data, i):
    shift = result = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


if __name__ == "__main__":
    unittest.main(verbosity=2)
