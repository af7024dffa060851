"""Fixtures: a real `ktune server` (the binary from $KTUNE_BINARY, else build/bin/ktune of this
repository) on free loopback ports, with and without token auth, and clients of it."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SDK))
sys.path.insert(0, SDK)

from ktune import KtuneClient  # noqa: E402

TOKEN = "s3cret-token-for-tests"


def ktune_binary() -> str:
    binary = os.environ.get("KTUNE_BINARY") or os.path.join(REPO, "build", "bin", "ktune")
    if not os.access(binary, os.X_OK):
        pytest.fail("no ktune binary at {} (build it, or set KTUNE_BINARY)".format(binary))
    return binary


class Server:
    """A running `ktune server` child: .host, .grpc (host:port), .token, .stop()."""

    def __init__(self, token=None, work_dir=None):
        self.dir = tempfile.mkdtemp(prefix="ktune-sdk-test-")
        self.token = token
        argv = [ktune_binary(), "server", "--port", "0", "--grpc-port", "0",
                "--db", os.path.join(self.dir, "k.db"), "--workdir", work_dir or self.dir]
        if token:
            path = os.path.join(self.dir, "token")
            with open(path, "w") as f:
                f.write(token + "\n")
            argv += ["--token-file", path]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log)
        for raw in self.process.stdout:
            m = re.search(r"listening on (http://\S+) grpc (\d+)", raw.decode())
            if m:
                self.host, self.grpc = m.group(1), "127.0.0.1:" + m.group(2)
                break
        else:
            pytest.fail("ktune server did not start: " + open(self.log.name).read())
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def client(self, **kwargs):
        kwargs.setdefault("token", self.token)
        return KtuneClient(host=self.host, **kwargs)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        self.log.close()


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def token_server():
    s = Server(token=TOKEN)
    yield s
    s.stop()


@pytest.fixture(params=["open", "token"], scope="session")
def any_server(request, server, token_server):
    """Each test that takes it runs against the server without and with token auth."""
    return server if request.param == "open" else token_server


@pytest.fixture
def client(any_server):
    return any_server.client()


_names = iter(range(10 ** 6))


@pytest.fixture
def name(request):
    """An experiment name of the test's own."""
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:24].strip("-")
    return "{}-{}".format(base, next(_names))
