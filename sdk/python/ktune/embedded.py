"""A ``ktune server`` of the notebook's own, for when none is reachable.

It listens on free loopback ports, keeps its store (SQLite) and trial logs in a folder the
user names (``data_dir`` / KTUNE_DATA_DIR) or a temporary one that goes with it, runs trials
in the notebook's working directory, and lives as long as the Python process: it is stopped
at exit, and by the kernel's death on Linux (PR_SET_PDEATHSIG).
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Dict, List, Optional

from .errors import KtuneError

_LISTENING = re.compile(r"listening on (https?://\S+?)(?: grpc (\d+))?\s*$")
_STARTUP_S = 60.0


def find_binary(binary: Optional[str] = None) -> str:
    """The ktune binary: the argument, else $KTUNE_BINARY, else `ktune` on PATH."""
    candidate = binary or os.environ.get("KTUNE_BINARY") or shutil.which("ktune")
    if not candidate:
        raise KtuneError("no ktune server is reachable and no ktune binary was found to start "
                         "one: put `ktune` on PATH, set KTUNE_BINARY=/path/to/ktune, or give "
                         "KtuneClient(host=...) a running server")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise KtuneError("ktune binary {}: not an executable file".format(candidate))
    return candidate


def _die_with_parent() -> None:  # runs in the child, before exec
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:  # not Linux: atexit still stops it
        pass


class EmbeddedServer:
    """One running `ktune server` child process."""

    def __init__(self, data_dir: Optional[str] = None, binary: Optional[str] = None,
                 work_dir: Optional[str] = None) -> None:
        self.binary = find_binary(binary)
        data_dir = data_dir or os.environ.get("KTUNE_DATA_DIR")
        self._temporary = data_dir is None
        self.data_dir = os.path.abspath(data_dir or tempfile.mkdtemp(prefix="ktune-"))
        os.makedirs(self.data_dir, exist_ok=True)
        self.work_dir = os.path.abspath(work_dir or os.getcwd())
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.host = ""
        self.grpc_address = ""
        self._log: Optional[IO[bytes]] = None
        self._copier: Optional[threading.Thread] = None
        self._process: Optional[subprocess.Popen] = None
        self._start()
        atexit.register(self.stop)

    def _start(self) -> None:
        argv = [self.binary, "server", "--port", "0", "--grpc-port", "0",
                "--db", os.path.join(self.data_dir, "ktune.db"), "--workdir", self.work_dir]
        self._log = open(self.log_path, "ab")
        kwargs: Dict[str, object] = {}
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _die_with_parent
        self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=self._log, close_fds=True, **kwargs)
        deadline = time.monotonic() + _STARTUP_S
        lines: List[str] = []
        assert self._process.stdout is not None
        # The server prints its ports on one line once it listens; read up to it.
        result: Dict[str, str] = {}
        reader = threading.Thread(target=self._read_banner, args=(result, lines), daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        if "host" not in result:
            self.stop()
            raise KtuneError("the embedded ktune server ({}) did not start{}; its log {}:\n{}"
                             .format(" ".join(argv),
                                     " within {:.0f} s".format(_STARTUP_S)
                                     if reader.is_alive() else "",
                                     self.log_path, self._tail()))
        self.host = result["host"]
        if result.get("grpc"):
            self.grpc_address = "127.0.0.1:" + result["grpc"]
        # Keep draining stdout into the log so that the server never blocks on a full pipe.
        self._copier = threading.Thread(target=self._copy_output, daemon=True)
        self._copier.start()

    def _read_banner(self, result: Dict[str, str], lines: List[str]) -> None:
        assert self._process is not None and self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if self._log is not None:
                self._log.write(raw)
                self._log.flush()
            m = _LISTENING.search(line)
            if m:
                result["host"] = m.group(1)
                result["grpc"] = m.group(2) or ""
                return

    def _copy_output(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        for raw in process.stdout:
            log = self._log
            if log is not None and not log.closed:
                log.write(raw)
                log.flush()

    def _tail(self, n: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """Stops the server (its running trials are interrupted) and removes a temporary
        data folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._temporary = False


_servers: Dict[str, EmbeddedServer] = {}
_lock = threading.Lock()


def shared_server(data_dir: Optional[str] = None, binary: Optional[str] = None
                  ) -> EmbeddedServer:
    """The process's embedded server for ``data_dir`` (started on first use)."""
    key = os.path.abspath(data_dir) if data_dir else ""
    with _lock:
        server = _servers.get(key)
        if server is None or not server.running():
            server = EmbeddedServer(data_dir=data_dir, binary=binary)
            _servers[key] = server
        return server
