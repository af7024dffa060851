"""report_metrics: Katib's function, pushing to the DBManager the trial's environment names."""

import pytest

from ktune import _dbmanager, report_metrics


def test_push_then_read_back(server, monkeypatch):
    monkeypatch.setenv("KATIB_TRIAL_NAME", "push-1")
    monkeypatch.setenv("KTUNE_DB_MANAGER_ADDRESS", server.grpc)
    report_metrics({"loss": 0.25, "accuracy": "0.9", "epoch": 3})
    got = _dbmanager.get_observation_log(server.grpc, "push-1", timeout=10)
    assert {(g["metric"]["name"], g["metric"]["value"]) for g in got} == {
        ("loss", "0.25"), ("accuracy", "0.9"), ("epoch", "3")}
    assert len({g["time_stamp"] for g in got}) == 1  # one timestamp for the whole call


def test_the_argument_wins_over_the_environment(server, monkeypatch):
    monkeypatch.setenv("KATIB_TRIAL_NAME", "push-2")
    monkeypatch.setenv("KTUNE_DB_MANAGER_ADDRESS", "127.0.0.1:9")
    report_metrics({"loss": 1}, db_manager_address=server.grpc)
    assert len(_dbmanager.get_observation_log(server.grpc, "push-2", timeout=10)) == 1


def test_katibs_errors(monkeypatch):
    monkeypatch.delenv("KATIB_TRIAL_NAME", raising=False)
    with pytest.raises(ValueError, match="The Trial name is not passed to environment variables"):
        report_metrics({"loss": 1})
    monkeypatch.setenv("KATIB_TRIAL_NAME", "t")
    with pytest.raises(ValueError, match="Invalid value abc for metrics value"):
        report_metrics({"loss": "abc"})
    with pytest.raises(ValueError, match="Invalid value True"):
        report_metrics({"ok": True})
    monkeypatch.setenv("KTUNE_TRIAL_NAMESPACE", "team")
    monkeypatch.setenv("KTUNE_DB_MANAGER_ADDRESS", "127.0.0.1:9")
    with pytest.raises(RuntimeError) as e:
        report_metrics({"loss": 1}, timeout=5)
    assert str(e.value).startswith("Unable to push metrics to Katib DB for Trial team/t. "
                                   "Exception: UNAVAILABLE")
