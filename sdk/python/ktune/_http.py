"""HTTP transport to a ktune server or a Kubernetes API server: JSON in and out, bearer token,
Kubernetes Status errors turned into ApiError. Standard library only (urllib)."""

import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, Optional, Tuple

from .errors import ApiError, ServerUnreachableError, error_for

USER_AGENT = "ktune-python-sdk"


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class Transport:
    """Requests against one server. Thread-safe (one connection per request)."""

    def __init__(self, host: str, token: Optional[str] = None, verify: bool = True,
                 ca_file: Optional[str] = None) -> None:
        if "://" not in host:
            host = "http://" + host
        parsed = urllib.parse.urlsplit(host)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("host {!r}: give an http:// or https:// address, e.g. "
                             "http://127.0.0.1:8080".format(host))
        self.host = host.rstrip("/")
        self.token = token
        handlers = []
        if _is_loopback(parsed.hostname):
            # A proxy from the environment must not capture a loopback server.
            handlers.append(urllib.request.ProxyHandler({}))
        if parsed.scheme == "https":
            context = ssl.create_default_context(cafile=ca_file)
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def url(self, path: str, params: Optional[Dict[str, Any]] = None) -> str:
        query = ""
        if params:
            pairs = [(k, "true" if v is True else "false" if v is False else str(v))
                     for k, v in params.items() if v is not None]
            query = "?" + urllib.parse.urlencode(pairs)
        return self.host + path + query

    def _open(self, method: str, path: str, body: Any, content_type: str,
              params: Optional[Dict[str, Any]], timeout: Optional[float],
              accept: str = "application/json"):
        data = None
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(self.url(path, params), data=data, headers=headers,
                                         method=method)
        try:
            return self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as e:
            raise self._error(e, method, path) from None
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, socket.timeout) or isinstance(e, socket.timeout):
                raise TimeoutError("{} {}{}: no answer within {} s".format(
                    method, self.host, path, timeout)) from None
            raise ServerUnreachableError("cannot reach the server at {}: {}".format(
                self.host, reason)) from None

    def _error(self, e: urllib.error.HTTPError, method: str, path: str) -> ApiError:
        raw = b""
        try:
            raw = e.read()
        except OSError:
            pass
        body: Optional[Dict[str, Any]] = None
        try:
            decoded = json.loads(raw.decode("utf-8", "replace")) if raw else None
            body = decoded if isinstance(decoded, dict) else None
        except ValueError:
            body = None
        if body is not None and body.get("kind") == "Status":
            details = body.get("details") or {}
            return error_for(e.code, body.get("reason") or "", body.get("message") or "",
                             details.get("causes"), body, method, path)
        text = raw.decode("utf-8", "replace").strip()
        return error_for(e.code, e.reason or "", text or "HTTP {} from {} {}".format(
            e.code, method, path), None, body, method, path)

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json",
                params: Optional[Dict[str, Any]] = None,
                timeout: Optional[float] = 120) -> Any:
        """The decoded JSON answer (None for an empty one)."""
        with self._open(method, path, body, content_type, params, timeout) as response:
            raw = response.read()
        if not raw:
            return None
        return json.loads(raw.decode("utf-8"))

    def text(self, path: str, params: Optional[Dict[str, Any]] = None,
             timeout: Optional[float] = 120) -> str:
        with self._open("GET", path, None, "", params, timeout, accept="*/*") as response:
            return response.read().decode("utf-8", "replace")

    def lines(self, path: str, params: Optional[Dict[str, Any]] = None,
              timeout: Optional[float] = None, accept: str = "*/*") -> Iterator[str]:
        """The answer's lines as they arrive (a followed log, a watch), without newlines."""
        response = self._open("GET", path, None, "", params, timeout, accept=accept)
        with response:
            while True:
                try:
                    line = response.readline()
                except socket.timeout:
                    raise TimeoutError("GET {}{}: nothing arrived within {} s".format(
                        self.host, path, timeout)) from None
                if not line:
                    return
                yield line.decode("utf-8", "replace").rstrip("\r\n")

    def reachable(self, timeout: float = 1.0) -> Tuple[bool, str]:
        """Whether a server answers at the address (any HTTP answer counts)."""
        try:
            self.request("GET", "/version", timeout=timeout)
            return True, ""
        except ApiError:
            return True, ""
        except (ServerUnreachableError, TimeoutError) as e:
            return False, str(e)
