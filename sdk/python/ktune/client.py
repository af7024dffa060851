"""KtuneClient: Katib's KatibClient calls against `ktune server`, or a Kubernetes API server
running Katib or ktune.

Method names, arguments and defaults follow kubeflow-katib's KatibClient; results are the
server's JSON as KObjects (dicts that also read as ``exp.status.current_optimal_trial``).
"""

import json
import os
import sys
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from . import embedded
from ._http import Transport
from .errors import ApiError, KtuneError, NotFoundError, ServerUnreachableError
from .objects import KList, KObject, condition_status, plain, result_list, wrap
from .progress import Progress, trial_rows
from .tune import build_experiment

GROUP = "kubeflow.org"
VERSION = os.environ.get("EXPERIMENT_VERSION", "v1beta1")
EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
DEFAULT_HOST = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 120

ExperimentLike = Union[Dict[str, Any], str, Any]


def _namespace_default() -> str:
    return os.environ.get("KTUNE_NAMESPACE") or "default"


class TuneResult:
    """What ``tune`` hands back once the experiment has ended.

    Attributes:
        name, namespace: the experiment's.
        experiment: the experiment as the server last reported it (a KObject).
        best_trial: the best trial's name, or None when no trial reported the objective.
        best_value: its objective value (float), or None.
        best_parameters: its parameters, typed (int, float, str), or {} when none.
        trials: every trial (KObjects); ``to_dataframe()`` tabulates them with pandas.
    """

    def __init__(self, experiment: KObject, trials: KList) -> None:
        self.experiment = experiment
        self.name = experiment.metadata.name
        self.namespace = experiment.metadata.namespace
        self.trials = trials
        optimal = experiment.status.current_optimal_trial if experiment.status else None
        self.best_trial: Optional[str] = None
        self.best_value: Optional[float] = None
        self.best_parameters: Dict[str, Any] = {}
        metric = experiment.spec.objective.objective_metric_name
        if optimal and optimal.observation and optimal.observation.metrics:
            self.best_trial = optimal.best_trial_name
            for m in optimal.observation.metrics:
                if m.name == metric:
                    self.best_value = _float(m.latest)
            rows = {r["name"]: r for r in trial_rows([t for t in trials
                                                      if t.metadata.name == self.best_trial])}
            typed = rows.get(self.best_trial, {})
            for p in optimal.parameter_assignments or []:
                self.best_parameters[p.name] = typed.get(p.name, p.value)

    @property
    def status(self) -> str:
        from .progress import summary
        return summary(self.experiment)["status"]

    def to_dataframe(self) -> Any:
        """All trials as a pandas DataFrame: name, status, parameters, metrics, times."""
        return self.trials.to_dataframe()

    def __repr__(self) -> str:
        return "TuneResult(name={!r}, status={!r}, best_value={!r}, best_parameters={!r})".format(
            self.name, self.status, self.best_value, self.best_parameters)


def _float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class KtuneClient:
    """A client of one server.

    Args:
        host: the server, e.g. ``http://127.0.0.1:8080`` or a Kubernetes API server's URL.
            Default: $KTUNE_HOST, else http://127.0.0.1:8080 when a server answers there,
            else a `ktune server` started for this process (see ``start_server``).
        token: a bearer token (`ktune server --token-file`, a Kubernetes token). Default:
            $KTUNE_TOKEN, else the content of ``token_file`` / $KTUNE_TOKEN_FILE.
        namespace: the default namespace of every call. Default: $KTUNE_NAMESPACE, else
            "default".
        start_server: with no host given: None starts one only when none answers at the
            default address, True always starts one, False never does.
        data_dir: the started server's folder (its SQLite store and trial logs); default
            $KTUNE_DATA_DIR, else a temporary folder removed at exit.
        binary: the ktune binary for a started server; default $KTUNE_BINARY, else `ktune`
            on PATH.
        verify, ca_file: TLS checks for https hosts.
    """

    def __init__(self, host: Optional[str] = None, token: Optional[str] = None,
                 namespace: Optional[str] = None, *, token_file: Optional[str] = None,
                 start_server: Optional[bool] = None, data_dir: Optional[str] = None,
                 binary: Optional[str] = None, verify: bool = True,
                 ca_file: Optional[str] = None) -> None:
        self.namespace = namespace or _namespace_default()
        token = token or os.environ.get("KTUNE_TOKEN") or None
        token_file = token_file or os.environ.get("KTUNE_TOKEN_FILE")
        if token is None and token_file:
            with open(token_file) as f:
                token = f.read().strip()
        self.server: Optional[embedded.EmbeddedServer] = None
        host = host or os.environ.get("KTUNE_HOST") or None
        if host is None:
            if start_server is not True:
                candidate = Transport(DEFAULT_HOST, token, verify, ca_file)
                if candidate.reachable()[0]:
                    host = DEFAULT_HOST
                elif start_server is False:
                    raise ServerUnreachableError(
                        "no ktune server answers at {} (start one with `ktune server`, or "
                        "let KtuneClient start one: start_server=None)".format(DEFAULT_HOST))
            if host is None:
                self.server = embedded.shared_server(data_dir, binary)
                host = self.server.host
        self._http = Transport(host, token, verify, ca_file)
        self.host = self._http.host

    # ---- paths ------------------------------------------------------------------------------

    def _ns(self, namespace: Optional[str]) -> str:
        return namespace or self.namespace

    def _path(self, plural: str, namespace: Optional[str], name: Optional[str] = None) -> str:
        path = "/apis/{}/{}/namespaces/{}/{}".format(GROUP, VERSION, _q(self._ns(namespace)),
                                                    plural)
        return path + ("/" + _q(name) if name else "")

    def _get(self, plural: str, name: str, namespace: Optional[str], timeout: float) -> KObject:
        return wrap(self._http.request("GET", self._path(plural, namespace, name),
                                       timeout=timeout))

    def _list(self, plural: str, namespace: Optional[str], timeout: float,
              label_selector: Optional[str] = None) -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = []
        params: Dict[str, Any] = {"labelSelector": label_selector}
        while True:
            page = self._http.request("GET", self._path(plural, namespace), params=params,
                                      timeout=timeout) or {}
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = token

    # ---- experiments ------------------------------------------------------------------------

    def create_experiment(self, experiment: ExperimentLike,
                          namespace: Optional[str] = None) -> KObject:
        """Creates an Experiment: a dict, a YAML/JSON text, a path to a YAML file, or a
        kubeflow-katib V1beta1Experiment. Returns it as stored (defaults applied).

        Raises AlreadyExistsError (409), InvalidError (422: ``.causes`` name each field), or
        another ApiError.
        """
        body = experiment_body(experiment)
        ns = namespace or (body.get("metadata") or {}).get("namespace") or self.namespace
        body.setdefault("metadata", {})["namespace"] = ns
        created = self._http.request("POST", self._path("experiments", ns), body=body)
        return wrap(created)

    def get_experiment(self, name: str, namespace: Optional[str] = None,
                       timeout: int = DEFAULT_TIMEOUT) -> KObject:
        return self._get("experiments", name, namespace, timeout)

    def list_experiments(self, namespace: Optional[str] = None,
                         timeout: int = DEFAULT_TIMEOUT) -> KList:
        return result_list(self._list("experiments", namespace, timeout), _experiment_row)

    def get_experiment_conditions(self, name: str, namespace: Optional[str] = None,
                                  experiment: Optional[Dict[str, Any]] = None,
                                  timeout: int = DEFAULT_TIMEOUT) -> KList:
        exp = experiment if experiment is not None else self.get_experiment(name, namespace,
                                                                            timeout)
        exp = wrap(_as_dict(exp))
        return wrap(list((exp.get("status") or {}).get("conditions") or []))

    def _is(self, kind: str, name: str, namespace: Optional[str],
            experiment: Optional[Dict[str, Any]], timeout: int) -> bool:
        exp = experiment if experiment is not None else self.get_experiment(name, namespace,
                                                                            timeout)
        return condition_status(_as_dict(exp), kind)

    def is_experiment_created(self, name: str, namespace: Optional[str] = None,
                              experiment: Optional[Dict[str, Any]] = None,
                              timeout: int = DEFAULT_TIMEOUT) -> bool:
        return self._is("Created", name, namespace, experiment, timeout)

    def is_experiment_running(self, name: str, namespace: Optional[str] = None,
                              experiment: Optional[Dict[str, Any]] = None,
                              timeout: int = DEFAULT_TIMEOUT) -> bool:
        return self._is("Running", name, namespace, experiment, timeout)

    def is_experiment_restarting(self, name: str, namespace: Optional[str] = None,
                                 experiment: Optional[Dict[str, Any]] = None,
                                 timeout: int = DEFAULT_TIMEOUT) -> bool:
        return self._is("Restarting", name, namespace, experiment, timeout)

    def is_experiment_succeeded(self, name: str, namespace: Optional[str] = None,
                                experiment: Optional[Dict[str, Any]] = None,
                                timeout: int = DEFAULT_TIMEOUT) -> bool:
        return self._is("Succeeded", name, namespace, experiment, timeout)

    def is_experiment_failed(self, name: str, namespace: Optional[str] = None,
                             experiment: Optional[Dict[str, Any]] = None,
                             timeout: int = DEFAULT_TIMEOUT) -> bool:
        return self._is("Failed", name, namespace, experiment, timeout)

    def wait_for_experiment_condition(self, name: str, namespace: Optional[str] = None,
                                      expected_condition: str = "Succeeded",
                                      timeout: int = 600, polling_interval: int = 15,
                                      apiserver_timeout: int = DEFAULT_TIMEOUT,
                                      show_progress: bool = False,
                                      on_update: Optional[Callable[[KObject], None]] = None
                                      ) -> KObject:
        """Waits until the experiment has the condition (Katib's; default Succeeded) and
        returns it. Follows a watch, so it returns as soon as the condition is set; falls
        back to polling every ``polling_interval`` s where watches are not served.

        Raises RuntimeError when the experiment fails (unless Failed is awaited), TimeoutError
        after ``timeout`` s.
        """
        ns = self._ns(namespace)

        def reached(exp: KObject) -> bool:
            if on_update is not None:
                on_update(exp)
            if condition_status(exp, expected_condition):
                return True
            if expected_condition != "Failed" and condition_status(exp, "Failed"):
                raise RuntimeError("Experiment {}/{} has failed: {}".format(
                    ns, name, _condition_message(exp, "Failed")))
            return False

        return self._follow(name, ns, reached, timeout, polling_interval, apiserver_timeout,
                            Progress(enabled=show_progress),
                            "to reach {} state".format(expected_condition))

    def wait_for_experiment(self, name: str, until: Callable[[KObject], bool],
                            namespace: Optional[str] = None, timeout: float = 600,
                            show_progress: bool = False) -> KObject:
        """Follows the experiment's changes until ``until(experiment)`` holds, and returns
        that state, e.g. ``until=lambda e: (e.status.trials_succeeded or 0) >= 10``.
        Raises TimeoutError after ``timeout`` s, NotFoundError if it is deleted meanwhile."""
        return self._follow(name, self._ns(namespace), until, timeout, 15, DEFAULT_TIMEOUT,
                            Progress(enabled=show_progress), "")

    def _follow(self, name: str, ns: str, until: Callable[[KObject], bool], timeout: float,
                polling_interval: float, apiserver_timeout: float, progress: Progress,
                what: str) -> KObject:
        """The first state of the experiment for which ``until`` holds, showing each on
        ``progress``; TimeoutError after ``timeout`` s."""
        try:
            for exp in self._states(name, ns, time.monotonic() + timeout, polling_interval,
                                    apiserver_timeout):
                progress.update(exp)
                if until(exp):
                    return exp
        finally:
            progress.close()
        raise TimeoutError("Timeout waiting for Experiment {}/{}{} ({} s)".format(
            ns, name, " " + what if what else "", timeout))

    def _states(self, name: str, ns: str, deadline: float, polling_interval: float,
                apiserver_timeout: float) -> Iterator[KObject]:
        """The experiment's states until the deadline: the current one, then each change
        (from a watch; by polling where the server serves none)."""
        current = self.get_experiment(name, ns, apiserver_timeout)
        yield current
        version = current.metadata.resource_version
        watching = True
        while time.monotonic() < deadline:
            if not watching:
                time.sleep(max(0.0, min(polling_interval, deadline - time.monotonic())))
                yield self.get_experiment(name, ns, apiserver_timeout)
                continue
            deleted = False
            try:
                for event in self._watch(name, ns, version, deadline - time.monotonic()):
                    kind = event.get("type")
                    if kind == "ERROR":  # the version expired: read the state again
                        break
                    if kind == "DELETED":
                        deleted = True
                        break
                    obj = wrap(event.get("object") or {})
                    version = obj.metadata.resource_version or version
                    yield obj
                    if time.monotonic() >= deadline:
                        return
            except ApiError:
                watching = False  # no watch here (an older API server, a proxy): poll
            except (TimeoutError, ServerUnreachableError, OSError, ValueError):
                pass  # the stream broke off: read the state and watch again
            if deleted:
                raise NotFoundError(404, "NotFound", 'experiments.kubeflow.org "{}" was '
                                    "deleted while waiting for it".format(name))
            if time.monotonic() >= deadline:
                return
            current = self.get_experiment(name, ns, apiserver_timeout)
            version = current.metadata.resource_version
            yield current

    def _watch(self, name: str, ns: str, version: Optional[str],
               remaining: float) -> Iterator[Dict[str, Any]]:
        params = {"watch": "true", "fieldSelector": "metadata.name=" + name,
                  "resourceVersion": version, "allowWatchBookmarks": "false",
                  "timeoutSeconds": max(1, int(remaining))}
        for line in self._http.lines(self._path("experiments", ns), params=params,
                                     timeout=remaining + 5, accept="application/json"):
            if line.strip():
                yield json.loads(line)

    def edit_experiment_budget(self, name: str, namespace: Optional[str] = None,
                               max_trial_count: Optional[int] = None,
                               parallel_trial_count: Optional[int] = None,
                               max_failed_trial_count: Optional[int] = None,
                               timeout: int = DEFAULT_TIMEOUT) -> KObject:
        """Changes the trial budget (Katib's only allowed edit; a finished experiment
        restarts when the new budget allows more trials). Returns the updated experiment."""
        spec: Dict[str, int] = {}
        for key, value in (("maxTrialCount", max_trial_count),
                           ("parallelTrialCount", parallel_trial_count),
                           ("maxFailedTrialCount", max_failed_trial_count)):
            if value is not None:
                spec[key] = int(value)
        if not spec:
            raise ValueError("Invalid input arguments. You have to set max_trial_count, "
                             "parallel_trial_count, or max_failed_trial_count")
        patched = self._http.request("PATCH", self._path("experiments", namespace, name),
                                     body={"spec": spec},
                                     content_type="application/merge-patch+json",
                                     timeout=timeout)
        return wrap(patched)

    def delete_experiment(self, name: str, namespace: Optional[str] = None,
                          delete_options: Optional[Dict[str, Any]] = None) -> None:
        """Deletes the experiment with its trials (running ones are stopped)."""
        body = _as_dict(delete_options) if delete_options else None
        self._http.request("DELETE", self._path("experiments", namespace, name), body=body)

    # ---- suggestions and trials -------------------------------------------------------------

    def get_suggestion(self, name: str, namespace: Optional[str] = None,
                       timeout: int = DEFAULT_TIMEOUT) -> KObject:
        return self._get("suggestions", name, namespace, timeout)

    def list_suggestions(self, namespace: Optional[str] = None,
                         timeout: int = DEFAULT_TIMEOUT) -> KList:
        """The suggestions (Katib's SDK lists experiments here, a known bug; this lists
        suggestions)."""
        return result_list(self._list("suggestions", namespace, timeout))

    def get_trial(self, name: str, namespace: Optional[str] = None,
                  timeout: int = DEFAULT_TIMEOUT) -> KObject:
        return self._get("trials", name, namespace, timeout)

    def list_trials(self, experiment_name: Optional[str] = None,
                    namespace: Optional[str] = None, timeout: int = DEFAULT_TIMEOUT) -> KList:
        """Trials, of one experiment when named; ``to_dataframe()`` tabulates them."""
        selector = "{}={}".format(EXPERIMENT_LABEL, experiment_name) if experiment_name else None
        items = self._list("trials", namespace, timeout, selector)
        return _trial_list(items)

    def get_success_trial_details(self, experiment_name: Optional[str] = None,
                                  namespace: Optional[str] = None,
                                  timeout: int = DEFAULT_TIMEOUT) -> KList:
        """``[{"name", "parameter_assignments", "metrics"}]`` for each Succeeded trial."""
        out = []
        for trial in self.list_trials(experiment_name, namespace, timeout):
            if not condition_status(trial, "Succeeded"):
                continue
            observation = (trial.get("status") or {}).get("observation") or {}
            out.append({"name": trial.metadata.name,
                        "parameter_assignments": trial.spec.parameter_assignments or [],
                        "metrics": observation.get("metrics") or []})
        return result_list(out)

    def get_optimal_hyperparameters(self, name: str, namespace: Optional[str] = None,
                                    timeout: int = DEFAULT_TIMEOUT) -> Optional[KObject]:
        """``status.currentOptimalTrial`` (best_trial_name, parameter_assignments,
        observation), or None while no trial has reported the objective."""
        exp = self.get_experiment(name, namespace, timeout)
        optimal = (exp.get("status") or {}).get("currentOptimalTrial")
        if optimal and (optimal.get("observation") or {}).get("metrics"):
            return optimal
        return None

    def get_trial_metrics(self, name: str, namespace: Optional[str] = None,
                          db_manager_address: Optional[str] = None,
                          timeout: int = DEFAULT_TIMEOUT,
                          metric_name: Optional[str] = None) -> KList:
        """Every metric sample the trial reported: ``[{"time_stamp", "metric": {"name",
        "value"}}]``. From the server's REST API, or from a DBManager over gRPC when
        ``db_manager_address`` is given (Katib's db-manager on a cluster)."""
        if db_manager_address:
            from ._dbmanager import get_observation_log
            try:
                logs = get_observation_log(db_manager_address, name, metric_name or "",
                                           timeout=float(timeout))
            except Exception as e:
                raise RuntimeError("Unable to get metrics for Trial {}/{}. Exception: {}"
                                   .format(self._ns(namespace), name, e)) from e
            return result_list(logs)
        path = "/apis/ktune.dev/v1/namespaces/{}/trials/{}/observations".format(
            _q(self._ns(namespace)), _q(name))
        reply = self._http.request("GET", path, params={"metricName": metric_name},
                                   timeout=timeout) or {}
        return result_list({"time_stamp": m.get("timeStamp"), "metric": m.get("metric") or {}}
                           for m in reply.get("metricLogs") or [])

    def get_job_logs(self, name: str, trial_name: str, follow: bool = False,
                     namespace: Optional[str] = None) -> Iterator[str]:
        """The trial's output, line by line; with ``follow`` until the trial ends."""
        if not name:
            raise ValueError("Experiment name is required")
        if not trial_name:
            raise ValueError("Trial name is required")
        trial = self.get_trial(trial_name, namespace)
        owner = (trial.metadata.labels or {}).get(EXPERIMENT_LABEL)
        if owner and owner != name:
            raise ValueError("trial {} belongs to experiment {}, not {}".format(
                trial_name, owner, name))
        path = "/apis/ktune.dev/v1/namespaces/{}/trials/{}/log".format(
            _q(self._ns(namespace)), _q(trial_name))
        return self._http.lines(path, params={"follow": "true" if follow else None},
                                timeout=None if follow else DEFAULT_TIMEOUT)

    # ---- tune -------------------------------------------------------------------------------

    def tune(self, name: str, model_provider_parameters: Any = None,
             dataset_provider_parameters: Any = None, trainer_parameters: Any = None,
             storage_config: Any = None, objective: Optional[Callable] = None,
             base_image: Optional[str] = None, parameters: Optional[Dict[str, Any]] = None,
             namespace: Optional[str] = None, env_per_trial: Any = None,
             algorithm_name: str = "random", algorithm_settings: Any = None,
             objective_metric_name: Optional[str] = None,
             additional_metric_names: Optional[List[str]] = None,
             objective_type: str = "maximize", objective_goal: Optional[float] = None,
             max_trial_count: Optional[int] = None, parallel_trial_count: Optional[int] = None,
             max_failed_trial_count: Optional[int] = None, resources_per_trial: Any = None,
             retain_trials: bool = False, packages_to_install: Optional[List[str]] = None,
             pip_index_urls: Optional[List[str]] = None,
             metrics_collector_config: Optional[Dict[str, Any]] = None,
             trial_active_deadline_seconds: Optional[int] = None, *, wait: bool = True,
             timeout: Optional[float] = None, show_progress: bool = True,
             python: Optional[str] = None) -> Optional[TuneResult]:
        """Tunes ``objective(parameters)`` over ``parameters`` (Katib's arguments).

        The function's source runs as each trial on the server: it must import what it uses
        inside itself. It reports metrics by printing ``name=value`` lines, by returning a
        number (the objective metric, ``objective_metric_name``, default "objective") or a
        dict of metrics, or with ``report_metrics`` when
        ``metrics_collector_config={"kind": "Push"}``.

        ktune's additions: ``wait`` (default True: wait for the end with a live progress view,
        ``show_progress``, and return a TuneResult; False: return None at once, as Katib's),
        ``timeout`` (seconds to wait; default none), and ``python``, the interpreter the trials
        run (default: this one when the server is on this machine, else ``python3``).
        """
        if model_provider_parameters is not None or dataset_provider_parameters is not None \
                or trainer_parameters is not None:
            raise ValueError("tune: the LLM mode (model/dataset providers, trainer parameters) "
                             "needs a Kubernetes cluster with Kubeflow's training operator; "
                             "give objective= and parameters= instead")
        if objective is None or not parameters:
            raise ValueError("tune: give objective= (a function) and parameters= (a dict of "
                             "ktune.search specs)")
        ns = self._ns(namespace)
        local = self._local()
        if python is None:
            python = sys.executable if local and sys.executable else "python3"
        env = env_per_trial
        collector = metrics_collector_config or {"kind": "StdOut"}
        if local and collector.get("kind") == "Push":
            # The trial's runner imports this package to push what the function returns.
            env = _with_sdk_on_path(env_per_trial)
        body = build_experiment(
            name, ns, objective, parameters, python,
            base_image=base_image or "docker.io/python:3.11-slim", env_per_trial=env,
            algorithm_name=algorithm_name, algorithm_settings=algorithm_settings,
            objective_metric_name=objective_metric_name,
            additional_metric_names=additional_metric_names, objective_type=objective_type,
            objective_goal=objective_goal, max_trial_count=max_trial_count,
            parallel_trial_count=parallel_trial_count,
            max_failed_trial_count=max_failed_trial_count,
            resources_per_trial=resources_per_trial, retain_trials=retain_trials,
            packages_to_install=packages_to_install, pip_index_urls=pip_index_urls,
            metrics_collector_config=collector,
            trial_active_deadline_seconds=trial_active_deadline_seconds)
        if wait and max_trial_count is None and timeout is None:
            # Without a budget the experiment runs until stopped (Katib's rule): a notebook
            # waiting for its end would wait for good.
            raise ValueError("tune: give max_trial_count (the experiment otherwise runs until "
                             "deleted), or wait=False, or a timeout")
        self.create_experiment(body, ns)
        if not wait:
            return None
        exp = self._follow(
            name, ns, lambda e: condition_status(e, "Succeeded") or condition_status(e, "Failed"),
            timeout if timeout is not None else 10 ** 9, 2, DEFAULT_TIMEOUT,
            Progress(enabled=show_progress), "to end (it keeps running; "
            "wait_for_experiment_condition waits again)")
        return TuneResult(exp, self.list_trials(name, ns))

    def get_result(self, name: str, namespace: Optional[str] = None) -> TuneResult:
        """A TuneResult of an experiment as it stands (ended or not)."""
        ns = self._ns(namespace)
        return TuneResult(self.get_experiment(name, ns), self.list_trials(name, ns))

    def _local(self) -> bool:
        host = urllib.parse.urlsplit(self.host).hostname or ""
        return self.server is not None or host in ("localhost", "::1") or host.startswith("127.")

    def close(self) -> None:
        """Stops the server this client started, if it did (it also stops at exit)."""
        if self.server is not None:
            self.server.stop()

    def __repr__(self) -> str:
        return "KtuneClient(host={!r}, namespace={!r}{})".format(
            self.host, self.namespace, ", embedded" if self.server else "")


# ---- helpers --------------------------------------------------------------------------------

def _q(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _as_dict(value: Any) -> Dict[str, Any]:
    if isinstance(value, dict):
        return value
    return experiment_body(value)


def _model_to_dict(model: Any) -> Any:
    """A kubeflow-katib / kubernetes OpenAPI model as the API's camelCase JSON."""
    if isinstance(model, list):
        return [_model_to_dict(v) for v in model]
    if isinstance(model, dict):
        return {k: _model_to_dict(v) for k, v in model.items()}
    types = getattr(model, "openapi_types", None) or getattr(model, "swagger_types", None)
    attribute_map = getattr(model, "attribute_map", None)
    if types is None or attribute_map is None:
        if hasattr(model, "isoformat"):
            return model.isoformat()
        return model
    out = {}
    for attr in types:
        value = getattr(model, attr, None)
        if value is not None:
            out[attribute_map.get(attr, attr)] = _model_to_dict(value)
    return out


def experiment_body(experiment: ExperimentLike) -> Dict[str, Any]:
    """The JSON body for an experiment given as a dict, YAML/JSON text, a file path or a
    Katib model."""
    if isinstance(experiment, dict):
        return plain(experiment)
    if isinstance(experiment, str):
        text = experiment
        if "\n" not in experiment and os.path.isfile(experiment):
            with open(experiment) as f:
                text = f.read()
        return _parse_text(text)
    converted = _model_to_dict(experiment)
    if isinstance(converted, dict):
        return converted
    raise ValueError("create_experiment: give a dict, YAML or JSON text, a file path, or a "
                     "V1beta1Experiment, not {!r}".format(type(experiment).__name__))


def _parse_text(text: str) -> Dict[str, Any]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return json.loads(text)
    try:
        import yaml  # type: ignore  (optional: JSON needs nothing)
    except ImportError:
        raise ValueError("create_experiment: YAML text needs PyYAML (Debian: python3-yaml); "
                         "give a dict or JSON instead") from None
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError("create_experiment: the text is not one Experiment object")
    return doc


def _with_sdk_on_path(env_per_trial: Any) -> Any:
    sdk_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if isinstance(env_per_trial, list):
        return env_per_trial + [{"name": "PYTHONPATH", "value": _pythonpath(sdk_root)}]
    env = dict(env_per_trial or {})
    env.setdefault("PYTHONPATH", _pythonpath(sdk_root))
    return env


def _pythonpath(sdk_root: str) -> str:
    current = os.environ.get("PYTHONPATH")
    return sdk_root + (os.pathsep + current if current else "")


def _condition_message(exp: Dict[str, Any], kind: str) -> str:
    for c in (exp.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return "{}: {}".format(c.get("reason", ""), c.get("message", ""))
    return ""


def _experiment_row(exp: Any) -> Dict[str, Any]:
    from .progress import summary
    s = summary(exp)
    return {"name": s["name"], "namespace": (exp.get("metadata") or {}).get("namespace"),
            "status": s["status"], "algorithm": ((exp.get("spec") or {}).get("algorithm") or {})
            .get("algorithmName"), "trials": s["trials"], "succeeded": s["succeeded"],
            "failed": s["failed"], "best_trial": s["best"]["trial"] or None,
            "best_value": _float(s["best"]["value"]),
            "created": (exp.get("metadata") or {}).get("creationTimestamp")}


def _trial_list(items: List[Dict[str, Any]]) -> KList:
    listed = result_list(items)
    listed._flatten = lambda trial: trial_rows([trial])[0]
    return listed


__all__ = ["KtuneClient", "TuneResult", "KtuneError"]
