"""Results as plain dicts that Katib's SDK users can also read the way they read its models.

Katib's SDK hands back OpenAPI model objects (``exp.status.current_optimal_trial``); ktune
hands back the server's JSON as dicts (``exp["status"]["currentOptimalTrial"]``). A
:class:`KObject` is that dict, and also answers snake_case attributes by looking up the
camelCase key, so code written for either reads ktune's results unchanged. A field the server
left out reads as None, as an unset field of a Katib model does.
"""

import re
from typing import Any, Callable, Dict, Iterable, List, Optional

_UPPER = re.compile(r"_([a-z0-9])")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def camel(name: str) -> str:
    """``current_optimal_trial`` -> ``currentOptimalTrial``."""
    return _UPPER.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    """``currentOptimalTrial`` -> ``current_optimal_trial``."""
    return _CAMEL.sub("_", name).lower()


def wrap(value: Any) -> Any:
    """Dicts become KObjects and lists KList, all the way down; anything else is returned."""
    if isinstance(value, KObject):
        return value
    if isinstance(value, dict):
        return KObject(value)
    if isinstance(value, list) and not isinstance(value, KList):
        return KList(wrap(v) for v in value)
    return value


def plain(value: Any) -> Any:
    """The value with every KObject and KList turned back into a dict or list."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class KObject(dict):
    """A dict from the server, also readable as ``obj.snake_case_field``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in list(self.items()):
            dict.__setitem__(self, key, wrap(value))

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, wrap(value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self:
            return self[name]
        key = camel(name)
        if key in self:
            return self[key]
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        self[name if name in self else camel(name)] = value

    def __dir__(self) -> Iterable[str]:
        return sorted(set(dir(dict)) | {snake(k) for k in self.keys() if isinstance(k, str)})

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict copy (what ``json.dumps`` and YAML writers take)."""
        return plain(self)


class KList(list):
    """A list of results; ``to_dataframe()`` makes a pandas DataFrame of it, one row each."""

    _flatten: Optional[Callable[[Any], Dict[str, Any]]] = None

    def to_dataframe(self) -> Any:
        """A pandas DataFrame with one row per item (pandas must be installed)."""
        try:
            import pandas  # noqa: F401 (optional)
        except ImportError as e:
            raise ImportError("to_dataframe() needs pandas (Debian: apt-get install "
                              "python3-pandas; pip: pip install pandas)") from e
        flatten = self._flatten or _flatten_any
        return pandas.DataFrame([flatten(item) for item in self])


def _flatten_any(item: Any) -> Dict[str, Any]:
    if not isinstance(item, dict):
        return {"value": item}
    out: Dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk("{}.{}".format(prefix, k) if prefix else str(k), v)
        else:
            out[prefix] = value

    walk("", item)
    return out


def result_list(items: Iterable[Any], flatten: Optional[Callable[[Any], Dict[str, Any]]] = None
                ) -> KList:
    """A KList of wrapped items whose DataFrame rows come from ``flatten``."""
    out = KList(wrap(i) for i in items)
    if flatten is not None:
        out._flatten = flatten
    return out


def condition_status(obj: Dict[str, Any], condition_type: str) -> bool:
    """Whether ``obj`` has a condition of that type whose status is exactly "True" (Katib)."""
    status = obj.get("status") or {}
    for c in status.get("conditions") or []:
        if c.get("type") == condition_type and c.get("status") == "True":
            return True
    return False


def trial_phase(trial: Dict[str, Any]) -> str:
    """The phase a user would name: the last condition that is True, else Created."""
    conditions: List[Dict[str, Any]] = (trial.get("status") or {}).get("conditions") or []
    phase = "Created"
    for c in conditions:
        if c.get("status") == "True":
            phase = c.get("type") or phase
    return phase
