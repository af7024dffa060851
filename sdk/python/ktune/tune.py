"""What ``KtuneClient.tune`` sends: a Katib Experiment whose trials run a Python function.

The function's source travels in the trial template, as in Katib's SDK, and runs on the
server as a local trial process (or in a container on a cluster). Unlike Katib's, the source
is not pasted into a shell script: the trial runs ``python -u -c <source + runner>`` with the
parameter values as separate arguments, so neither bash nor Python ever reads a parameter
value as code, and ``$``, backticks and quotes in the source stay as written.

The function takes the parameters as one dict (Katib's convention) or as keyword arguments
named after them. Values arrive typed: int parameters as int, double and discrete as float,
categorical as str. Metrics: what it prints as ``name=value`` lines (Katib's StdOut format),
and what it returns: a number is the objective metric, a dict maps metric names to values.
"""

import ast
import dis
import inspect
import json
import textwrap
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

from .search import ParameterSpec

PRIMARY_CONTAINER = "training-container"
EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
DEFAULT_IMAGE = "docker.io/python:3.11-slim"

# Appended to the function's source; runs it with the trial's parameters. argv[1] is the JSON
# plan (names, types, fixed values, metric names, collector kind); argv[2:] are the values.
_RUNNER = '''

def _ktune_run_trial():
    import json as _json
    import sys as _sys
    plan = _json.loads(_sys.argv[1])
    params = dict(plan["fixed"])
    for (name, kind), raw in zip(plan["params"], _sys.argv[2:]):
        if kind == "int":
            try:
                params[name] = int(raw)
            except ValueError:
                params[name] = int(float(raw))
        elif kind in ("double", "discrete"):
            params[name] = float(raw)
        else:
            params[name] = raw
    fn = globals()[plan["function"]]
    result = fn(**params) if plan["kwargs"] else fn(params)
    if result is None:
        return
    if not isinstance(result, dict):
        result = {plan["objective"]: result}
    metrics = {}
    for key, value in result.items():
        try:
            metrics[str(key)] = float(value)
        except (TypeError, ValueError):
            raise SystemExit("ktune: {} returned {!r} for metric {!r}: metrics must be "
                             "numbers".format(plan["function"], value, key))
    if plan["collector"] == "Push":
        from ktune import report_metrics
        report_metrics(metrics)
    else:
        for key, value in metrics.items():
            print("{}={!r}".format(key, value), flush=True)


_ktune_run_trial()
'''


def function_source(fn: Callable) -> Tuple[str, str]:
    """The dedented source of ``fn`` without decorators, and its name.

    Raises ValueError when it cannot be shipped: a lambda, a builtin, source that Python
    cannot find (a function typed at a plain REPL), or names it uses from outside itself.
    """
    if not callable(fn):
        raise ValueError("objective must be a function, got {!r}".format(fn))
    fn = inspect.unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        raise ValueError("objective must be a plain function defined with def, got "
                         "{!r}".format(fn))
    if fn.__name__ == "<lambda>":
        raise ValueError("objective is a lambda: tune ships the function's source to the "
                         "trials, so define it with def")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as e:
        raise ValueError("cannot read the source of {}: {} (define it in a file or a notebook "
                         "cell, not at a plain python prompt)".format(fn.__name__, e)) from None
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                        ast.AsyncFunctionDef))), None)
    if node is None:
        raise ValueError("cannot find the def of {} in its source".format(fn.__name__))
    if isinstance(node, ast.AsyncFunctionDef):
        raise ValueError("objective {} is async: give a plain function".format(fn.__name__))
    lines = source.splitlines()
    source = "\n".join(lines[node.lineno - 1:]) + "\n"  # without decorator lines
    outside = outside_names(fn)
    if outside:
        raise ValueError(
            "objective {} uses {} from outside the function; its source runs alone in each "
            "trial, so import or define {} inside it".format(
                fn.__name__, ", ".join(outside), "it" if len(outside) == 1 else "them"))
    return source, fn.__name__


def outside_names(fn: types.FunctionType) -> List[str]:
    """Names the function reads from its module's globals or an enclosing function."""
    names = set()

    def scan(code: types.CodeType) -> None:
        for ins in dis.get_instructions(code):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                names.add(ins.argval)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                scan(const)

    scan(fn.__code__)
    import builtins
    # (A name that is no identifier, e.g. pytest's @py_builtins, comes from rewritten bytecode.)
    used = sorted(n for n in names if n.isidentifier() and n != fn.__name__ and n in fn.__globals__
                  and not hasattr(builtins, n))
    free = sorted(fn.__code__.co_freevars)
    return free + [n for n in used if n not in free]


def _kwargs_call(fn: Callable, names: List[str]) -> bool:
    """Whether to call fn(**params) rather than fn(params)."""
    try:
        sig = inspect.signature(inspect.unwrap(fn))
    except (TypeError, ValueError):
        return False
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) == 1 and positional[0].name not in names:
        return False
    return all(n in sig.parameters for n in names) or any(
        p.kind == p.VAR_KEYWORD for p in sig.parameters.values())


def _env(env_per_trial: Any) -> List[Dict[str, Any]]:
    if env_per_trial is None:
        return []
    if isinstance(env_per_trial, dict):
        return [{"name": str(k), "value": str(v)} for k, v in env_per_trial.items()]
    out = []
    for item in env_per_trial:
        if isinstance(item, dict):
            out.append(item)
        elif hasattr(item, "to_dict"):  # a kubernetes.client V1EnvVar
            d = {k: v for k, v in item.to_dict().items() if v is not None}
            if "value_from" in d:
                d["valueFrom"] = d.pop("value_from")
            out.append(d)
        else:
            raise ValueError("env_per_trial: {!r} is neither a dict nor a V1EnvVar".format(item))
    return out


def _resources(resources: Any) -> Optional[Dict[str, Any]]:
    if resources is None:
        return None
    if isinstance(resources, dict):
        amounts = {}
        for key in ("cpu", "memory"):
            if key in resources:
                amounts[key] = str(resources[key])
        if "gpu" in resources:
            amounts["nvidia.com/gpu"] = str(resources["gpu"])
        return {"requests": dict(amounts), "limits": dict(amounts)}
    if hasattr(resources, "to_dict"):
        return {k: v for k, v in resources.to_dict().items() if v is not None}
    raise ValueError("resources_per_trial: give a dict with cpu, memory and gpu, or a "
                     "V1ResourceRequirements (TrainerResources needs a cluster's training "
                     "operator, which ktune server does not run)")


def build_experiment(
    name: str,
    namespace: str,
    objective: Callable,
    parameters: Dict[str, Any],
    python: str,
    base_image: str = DEFAULT_IMAGE,
    env_per_trial: Any = None,
    algorithm_name: str = "random",
    algorithm_settings: Any = None,
    objective_metric_name: Optional[str] = None,
    additional_metric_names: Optional[List[str]] = None,
    objective_type: str = "maximize",
    objective_goal: Optional[float] = None,
    max_trial_count: Optional[int] = None,
    parallel_trial_count: Optional[int] = None,
    max_failed_trial_count: Optional[int] = None,
    resources_per_trial: Any = None,
    retain_trials: bool = False,
    packages_to_install: Optional[List[str]] = None,
    pip_index_urls: Optional[List[str]] = None,
    metrics_collector_config: Optional[Dict[str, Any]] = None,
    trial_active_deadline_seconds: Optional[int] = None,
) -> Dict[str, Any]:
    """The Experiment (a dict, camelCase as the API takes it) that runs ``objective``."""
    if not name:
        raise ValueError("tune: give the experiment a name")
    if not isinstance(parameters, dict) or not parameters:
        raise ValueError("tune: parameters must be a dict of names to search.double/int/"
                         "categorical/discrete specs (and fixed values)")
    source, fn_name = function_source(objective)
    collector = dict(metrics_collector_config or {"kind": "StdOut"})
    kind = collector.get("kind", "StdOut")
    if kind not in ("StdOut", "Push"):
        raise ValueError("tune: metrics_collector_config kind {!r}: tune supports StdOut "
                         "(the function prints or returns its metrics) and Push "
                         "(report_metrics)".format(kind))
    if objective_type not in ("minimize", "maximize"):
        raise ValueError("tune: objective_type must be 'minimize' or 'maximize', got "
                         "{!r}".format(objective_type))
    metric = objective_metric_name or "objective"

    exp_params, trial_params, plan_params, fixed = [], [], [], {}
    for key, value in parameters.items():
        if not isinstance(key, str) or not key:
            raise ValueError("tune: parameter names must be non-empty strings, got "
                             "{!r}".format(key))
        spec = _as_spec(value)
        if spec is None:
            fixed[key] = value
            continue
        exp_params.append(spec.with_name(key))
        trial_params.append({"name": key, "reference": key})
        plan_params.append([key, spec["parameterType"]])
    if not exp_params:
        raise ValueError("tune: no parameter to search; use ktune.search.double/int/"
                         "categorical/discrete for at least one")
    try:
        json.dumps(fixed)
    except TypeError as e:
        raise ValueError("tune: fixed parameter values must be JSON values (numbers, strings, "
                         "lists, dicts): {}".format(e)) from None

    plan = {"function": fn_name, "params": plan_params, "fixed": fixed, "objective": metric,
            "collector": kind, "kwargs": _kwargs_call(objective, list(parameters))}
    script = source + _RUNNER
    if packages_to_install:
        index = list(pip_index_urls or ["https://pypi.org/simple"])
        pip = ["-m", "pip", "install", "--quiet", "--prefer-binary", "--no-warn-script-location",
               "--index-url", index[0]]
        for extra in index[1:]:
            pip += ["--extra-index-url", extra]
        pip += [str(p) for p in packages_to_install]
        script = ("import subprocess as _ktune_sp, sys as _ktune_sys\n"
                  "_ktune_sp.check_call([_ktune_sys.executable] + {!r})\n".format(pip) + script)
    args = [json.dumps(plan, separators=(",", ":"))]
    args += ["${trialParameters." + key + "}" for key, _ in plan_params]

    container: Dict[str, Any] = {
        "name": PRIMARY_CONTAINER,
        "image": base_image,
        "command": [python, "-u", "-c", script],
        "args": args,
    }
    env = _env(env_per_trial)
    if env:
        container["env"] = env
    resources = _resources(resources_per_trial)
    if resources:
        container["resources"] = resources
    job_spec: Dict[str, Any] = {"template": {
        "metadata": {"annotations": {"sidecar.istio.io/inject": "false"}},
        "spec": {"restartPolicy": "Never", "containers": [container]}}}
    if trial_active_deadline_seconds is not None:
        job_spec["activeDeadlineSeconds"] = int(trial_active_deadline_seconds)

    spec: Dict[str, Any] = {
        "objective": {"type": objective_type, "objectiveMetricName": metric,
                      "additionalMetricNames": list(additional_metric_names or [])},
        "algorithm": {"algorithmName": algorithm_name},
        "parameters": exp_params,
        "metricsCollectorSpec": {"collector": {"kind": kind}},
        "trialTemplate": {
            "primaryContainerName": PRIMARY_CONTAINER,
            "retain": bool(retain_trials),
            "trialParameters": trial_params,
            "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec},
        },
    }
    if objective_goal is not None:
        spec["objective"]["goal"] = float(objective_goal)
    settings = _settings(algorithm_settings)
    if settings:
        spec["algorithm"]["algorithmSettings"] = settings
    if parallel_trial_count is None and max_trial_count is not None and max_trial_count < 3:
        # Katib's default of 3 parallel trials is refused above maxTrialCount.
        parallel_trial_count = max_trial_count
    for key, value in (("maxTrialCount", max_trial_count),
                       ("parallelTrialCount", parallel_trial_count),
                       ("maxFailedTrialCount", max_failed_trial_count)):
        if value is not None:
            spec[key] = int(value)
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _as_spec(value: Any) -> Optional[ParameterSpec]:
    """A ParameterSpec for search specs (ours, a dict of that shape, or Katib's model)."""
    if isinstance(value, ParameterSpec):
        return value
    if isinstance(value, dict) and "parameterType" in value and "feasibleSpace" in value:
        return ParameterSpec(value)
    # kubeflow-katib's V1beta1ParameterSpec (katib.search.double(...)).
    if hasattr(value, "parameter_type") and hasattr(value, "feasible_space"):
        space = value.feasible_space
        out: Dict[str, Any] = {}
        for attr, key in (("min", "min"), ("max", "max"), ("step", "step"), ("list", "list"),
                          ("distribution", "distribution")):
            v = getattr(space, attr, None)
            if v is not None:
                out[key] = v
        return ParameterSpec({"parameterType": value.parameter_type, "feasibleSpace": out})
    return None


def _settings(settings: Any) -> List[Dict[str, str]]:
    if not settings:
        return []
    if isinstance(settings, dict):
        return [{"name": str(k), "value": str(v)} for k, v in settings.items()]
    out = []
    for s in settings:
        if isinstance(s, dict):
            out.append({"name": str(s["name"]), "value": str(s["value"])})
        else:
            out.append({"name": str(s.name), "value": str(s.value)})
    return out
