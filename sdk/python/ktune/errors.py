"""Exceptions raised by the ktune SDK.

Every error the server reports becomes an :class:`ApiError`, a ``RuntimeError`` as Katib's
SDK raises, carrying the server's message, its HTTP status and reason, and the field paths it
named (``causes``): ``spec.parameters[0].feasibleSpace.max`` and the like.
"""

from typing import Any, Dict, List, Optional


class KtuneError(RuntimeError):
    """Base of every error this SDK raises on its own account."""


class ServerUnreachableError(KtuneError, ConnectionError):
    """No ktune server (or Kubernetes API server) answered at the address."""


class ApiError(KtuneError):
    """The server refused a request.

    Attributes:
        status: the HTTP status code (404, 409, 422, ...).
        reason: the Kubernetes reason (``NotFound``, ``AlreadyExists``, ``Invalid``, ...).
        message: the server's message, verbatim.
        causes: the server's ``details.causes``: dicts with ``field``, ``message``, ``reason``.
        field: the first cause's field path, or None.
        body: the whole decoded response (a Kubernetes Status), or None.
    """

    def __init__(self, status: int, reason: str, message: str,
                 causes: Optional[List[Dict[str, Any]]] = None,
                 body: Optional[Dict[str, Any]] = None, method: str = "", path: str = ""):
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = list(causes or [])
        self.body = body
        self.method = method
        self.path = path
        fields = [c.get("field") for c in self.causes if c.get("field")]
        self.field = fields[0] if fields else None
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = self.message or self.reason or "HTTP {}".format(self.status)
        lines = [text]
        for cause in self.causes:
            field = cause.get("field") or ""
            msg = cause.get("message") or cause.get("reason") or ""
            if not msg or msg in text:
                continue
            # The message usually holds the cause already; add only what it lacks (a hint).
            extra = msg[_longest_prefix_in(msg, text):].strip()
            if field and field not in text:
                lines.append("  {}: {}".format(field, msg))
            elif extra:
                lines.append("  " + (field + ": " if field else "") + extra.strip("() "))
        return "\n".join(lines)


def _longest_prefix_in(msg: str, text: str) -> int:
    """The length of the longest prefix of msg found in text (prefix containment is
    monotonic, so a binary search finds it)."""
    lo, hi = 0, len(msg)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if msg[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    return lo


class NotFoundError(ApiError, LookupError):
    """404: the experiment, trial or suggestion does not exist."""


class AlreadyExistsError(ApiError):
    """409 AlreadyExists: an object of that name exists already."""


class ConflictError(ApiError):
    """409 Conflict: the object changed since it was read (resourceVersion)."""


class InvalidError(ApiError, ValueError):
    """422 Invalid (or 400 BadRequest): the experiment breaks a rule; see ``causes``."""


class UnauthorizedError(ApiError, PermissionError):
    """401 or 403: a token is needed (``token=`` / KTUNE_TOKEN) or the one sent was refused."""


def error_for(status: int, reason: str, message: str, causes: Optional[List[Dict[str, Any]]],
              body: Optional[Dict[str, Any]], method: str, path: str) -> ApiError:
    """The ApiError subclass for an HTTP error status."""
    if status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = AlreadyExistsError if reason == "AlreadyExists" else ConflictError
    elif status in (400, 422):
        cls = InvalidError
    elif status in (401, 403):
        cls = UnauthorizedError
    else:
        cls = ApiError
    return cls(status, reason, message, causes, body, method, path)
