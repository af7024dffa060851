"""Search-space helpers, as Katib's ``katib.search``: ``double``, ``int`` and ``categorical``,
plus ``discrete`` and a ``log=True`` option (a log-uniform distribution), which Katib's SDK
lacks.

Each returns a ParameterSpec: the dict an Experiment's ``spec.parameters[i]`` holds, without
the name (``tune`` names it after its key in ``parameters``)::

    {"parameterType": "double", "feasibleSpace": {"min": "0.001", "max": "0.1",
                                                  "distribution": "logUniform"}}

It also reads as Katib's ``V1beta1ParameterSpec`` does: ``spec.parameter_type``,
``spec.feasible_space.min``.
"""

import builtins
import math
from typing import Any, Optional, Sequence

from .objects import KObject

__all__ = ["ParameterSpec", "double", "int", "categorical", "discrete"]


class ParameterSpec(KObject):
    """One parameter's type and feasible space (``spec.parameters[i]`` less its name)."""

    @property
    def parameter_type(self) -> str:  # what Katib's model calls it
        return self["parameterType"]

    def with_name(self, name: str) -> dict:
        """The spec.parameters entry for this parameter, named."""
        entry = {"name": name}
        entry.update(self.to_dict())
        return entry


def _number(value: Any, what: str, integral: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, (builtins.int, float)):
        try:
            value = float(value) if not integral else builtins.int(str(value))
        except (TypeError, ValueError):
            raise ValueError("{} must be a{} number, got {!r}".format(
                what, "n integer" if integral else "", value)) from None
    if integral and isinstance(value, float):
        if not value.is_integer():
            raise ValueError("{} must be an integer, got {!r}".format(what, value))
        value = builtins.int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("{} must be finite, got {!r}".format(what, value))
    return repr(value) if isinstance(value, float) else str(value)


def _range(kind: str, min: Any, max: Any, step: Optional[Any], log: bool) -> ParameterSpec:
    integral = kind == "int"
    lo = _number(min, "search.{}: min".format(kind), integral)
    hi = _number(max, "search.{}: max".format(kind), integral)
    if float(lo) >= float(hi):
        raise ValueError("search.{}: min ({}) must be less than max ({})".format(kind, lo, hi))
    space = {"min": lo, "max": hi}
    if step is not None:
        st = _number(step, "search.{}: step".format(kind), integral)
        if float(st) <= 0:
            raise ValueError("search.{}: step must be positive, got {}".format(kind, st))
        space["step"] = st
    if log:
        if float(lo) <= 0:
            raise ValueError("search.{}(log=True): min must be positive for a log scale, got "
                             "{}".format(kind, lo))
        space["distribution"] = "logUniform"
    return ParameterSpec({"parameterType": kind, "feasibleSpace": space})


def double(min: float, max: float, step: Optional[float] = None,
           log: bool = False) -> ParameterSpec:
    """A float in [min, max]; ``step`` makes it a grid, ``log=True`` samples log-uniformly."""
    return _range("double", min, max, step, log)


def int(min: builtins.int, max: builtins.int, step: Optional[builtins.int] = None,
        log: bool = False) -> ParameterSpec:
    """An integer in [min, max] (both included); ``log=True`` samples log-uniformly."""
    return _range("int", min, max, step, log)


def _values(kind: str, values: Sequence[Any]) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError("search.{} takes a list of values, got {!r}".format(kind, values))
    out = list(values)
    if not out:
        raise ValueError("search.{}: the list of values is empty".format(kind))
    return out


def categorical(list: Sequence[Any]) -> ParameterSpec:
    """One of the values (sent as strings, as Katib does)."""
    values = [str(v) for v in _values("categorical", list)]
    if len(set(values)) != len(values):
        raise ValueError("search.categorical: the values repeat: {}".format(values))
    return ParameterSpec({"parameterType": "categorical", "feasibleSpace": {"list": values}})


def discrete(list: Sequence[Any]) -> ParameterSpec:
    """One of the numbers given (Katib's discrete parameter type)."""
    values = [_number(v, "search.discrete: value", False) if not isinstance(v, builtins.int)
              or isinstance(v, bool) else str(v) for v in _values("discrete", list)]
    if len(set(float(v) for v in values)) != len(values):
        raise ValueError("search.discrete: the values repeat: {}".format(values))
    return ParameterSpec({"parameterType": "discrete", "feasibleSpace": {"list": values}})
