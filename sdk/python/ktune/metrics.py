"""``report_metrics``: a trial pushes its metrics to the DBManager, as Katib's SDK does.

For experiments whose ``metricsCollectorSpec.collector.kind`` is ``Push``: the trial's code
calls ``report_metrics({"loss": 0.25, "accuracy": 0.9})`` and the values land in the observation
log of the trial named by ``KATIB_TRIAL_NAME``. Works against ``ktune server``'s gRPC port and
against Katib's own katib-db-manager.
"""

import datetime
import os
from typing import Any, Dict, Optional

from . import _dbmanager

__all__ = ["report_metrics", "DEFAULT_DB_MANAGER_ADDRESS"]

DEFAULT_DB_MANAGER_ADDRESS = "katib-db-manager.kubeflow:6789"
_RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def _namespace() -> str:
    """The trial's namespace: KTUNE_TRIAL_NAMESPACE, else the pod's service account's, else
    "default"."""
    namespace = os.environ.get("KTUNE_TRIAL_NAMESPACE")
    if namespace:
        return namespace
    try:
        with open(_NAMESPACE_FILE, encoding="utf-8") as f:
            namespace = f.read().strip()
    except OSError:
        namespace = ""
    return namespace or "default"


def _invalid(value: Any) -> ValueError:
    return ValueError("Invalid value {} for metrics value. The metrics value should have or can "
                      "be converted to type `float`. ".format(value))


def _check_value(value: Any) -> None:
    # bool is an int, so float(True) works; but True is no measurement, and it would be stored as
    # the text "True", which no objective can compare. Refuse it.
    if isinstance(value, bool):
        raise _invalid(value)
    if isinstance(value, float):
        return
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        raise _invalid(value) from None


def report_metrics(metrics: Dict[str, Any], db_manager_address: Optional[str] = None,
                   timeout: int = 120) -> None:
    """Pushes metrics for the current trial to the DBManager in one ReportObservationLog call.

    Args:
        metrics: metric name -> value; every value must be a float or convertible with
            ``float()`` (ints, numeric strings, numpy scalars). The value sent is ``str(value)``,
            so ``float("nan")`` goes as ``"nan"`` and infinities as ``"inf"``/``"-inf"``, exactly
            as Katib's SDK sends them; ``bool`` values are refused.
        db_manager_address: ``host:port`` of the DBManager; default: env
            ``KTUNE_DB_MANAGER_ADDRESS`` (``ktune server`` sets it for its trials), else
            Katib's ``katib-db-manager.kubeflow:6789``.
        timeout: seconds for the call.

    All metrics share one timestamp, the UTC time now at second precision
    (``%Y-%m-%dT%H:%M:%SZ``), as in Katib's SDK.

    Raises:
        ValueError: ``KATIB_TRIAL_NAME`` is not set, or a value is not a number.
        RuntimeError: the call failed ("Unable to push metrics to Katib DB for Trial
            <namespace>/<name>. Exception: <the gRPC error>").
    """
    namespace = _namespace()
    trial_name = os.environ.get("KATIB_TRIAL_NAME")
    if trial_name is None:
        raise ValueError("The Trial name is not passed to environment variables")
    for value in metrics.values():
        _check_value(value)
    address = (db_manager_address or os.environ.get("KTUNE_DB_MANAGER_ADDRESS")
               or DEFAULT_DB_MANAGER_ADDRESS)
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime(_RFC3339_FORMAT)
    logs = [(timestamp, str(name), str(value)) for name, value in metrics.items()]
    try:
        _dbmanager.report_observation_log(address, trial_name, logs, timeout)
    except Exception as e:
        raise RuntimeError("Unable to push metrics to Katib DB for Trial {}/{}. Exception: {}"
                           .format(namespace, trial_name, e)) from e
