"""ktune's Python SDK: Katib's KatibClient calls against `ktune server` (or Katib on a
cluster), plus ``tune(fn)`` that needs no cluster.

    from ktune import KtuneClient, search

    client = KtuneClient()                     # a server on this machine, or one of its own
    result = client.tune("quad", objective=f, parameters={"x": search.double(-5, 5)},
                         objective_metric_name="loss", objective_type="minimize",
                         max_trial_count=20)
    result.best_parameters

Standard library only; Python 3.9 or later.
"""

from . import search
from .client import KtuneClient, TuneResult
from .errors import (AlreadyExistsError, ApiError, ConflictError, InvalidError, KtuneError,
                     NotFoundError, ServerUnreachableError, UnauthorizedError)
from .metrics import report_metrics
from .objects import KList, KObject

__version__ = "0.1.0"

__all__ = [
    "KtuneClient", "TuneResult", "search", "report_metrics", "KObject", "KList", "KtuneError",
    "ApiError", "NotFoundError", "AlreadyExistsError", "ConflictError", "InvalidError",
    "UnauthorizedError", "ServerUnreachableError", "__version__",
]
