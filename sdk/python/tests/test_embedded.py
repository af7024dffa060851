"""KtuneClient() with no server reachable starts one of its own."""

import os
import signal

import pytest

import ktune.client
from ktune import KtuneClient, ServerUnreachableError, search
from ktune.embedded import EmbeddedServer
from conftest import ktune_binary


def square(parameters):
    return parameters["x"] ** 2


def test_no_server_reachable_starts_one(monkeypatch, tmp_path):
    monkeypatch.setattr(ktune.client, "DEFAULT_HOST", "http://127.0.0.1:9")  # nothing there
    monkeypatch.delenv("KTUNE_HOST", raising=False)
    monkeypatch.setenv("KTUNE_BINARY", ktune_binary())
    client = KtuneClient(data_dir=str(tmp_path / "data"))
    try:
        assert client.server is not None and client.host.startswith("http://127.0.0.1:")
        result = client.tune("embedded", objective=square, parameters={"x": search.double(-1, 1)},
                             objective_type="minimize", max_trial_count=3, show_progress=False)
        assert result.status == "Succeeded"
        assert (tmp_path / "data" / "ktune.db").exists()  # kept: the user named the folder
        # A second client of this process shares the server.
        again = KtuneClient(data_dir=str(tmp_path / "data"))
        assert again.host == client.host
        assert again.get_experiment("embedded").metadata.name == "embedded"
    finally:
        client.close()
    assert not client.server.running()
    assert (tmp_path / "data" / "ktune.db").exists()


def test_a_temporary_folder_goes_with_the_server():
    server = EmbeddedServer(binary=ktune_binary())
    data = server.data_dir
    assert os.path.exists(os.path.join(data, "ktune.db"))
    server.stop()
    assert not os.path.exists(data)


def test_never_start_and_missing_binary_are_clear(monkeypatch):
    monkeypatch.setattr(ktune.client, "DEFAULT_HOST", "http://127.0.0.1:9")
    monkeypatch.delenv("KTUNE_HOST", raising=False)
    with pytest.raises(ServerUnreachableError, match="no ktune server answers"):
        KtuneClient(start_server=False)
    monkeypatch.delenv("KTUNE_BINARY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ktune.KtuneError, match="KTUNE_BINARY"):
        KtuneClient(start_server=True)


def test_a_server_that_cannot_start_says_why(tmp_path):
    broken = tmp_path / "ktune"
    broken.write_text("#!/bin/sh\necho 'ktune server: --db: disk on fire' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(ktune.KtuneError, match="did not start") as e:
        EmbeddedServer(binary=str(broken), data_dir=str(tmp_path / "data"))
    assert "disk on fire" in str(e.value)


def test_explicit_host_is_never_replaced(monkeypatch):
    monkeypatch.setenv("KTUNE_BINARY", ktune_binary())
    client = KtuneClient(host="http://127.0.0.1:9")
    assert client.server is None
    with pytest.raises(ServerUnreachableError):
        client.list_experiments()
