"""The fence around the patches of Rasa internals (bot/rasa_ext/fence.py): a switch, a version
guard, and a clean undo, so that tests outside test_speedups.py run Rasa as shipped."""

from __future__ import annotations

import logging

import pytest

from bot.rasa_ext import fence, speedups


def _rasa_attributes() -> dict[str, object]:
    """Every attribute the speed-ups replace, as it is now."""
    import importlib

    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.features import Features
    from rasa.utils.endpoints import EndpointConfig

    found: dict[str, object] = {
        "RemoteAction._validate_action_result": vars(RemoteAction)["_validate_action_result"],
        "Event.resolve_by_type": vars(Event)["resolve_by_type"],
        "EndpointConfig.session": vars(EndpointConfig)["session"],
        "Features._combine_sparse_features": vars(Features)["_combine_sparse_features"],
        "DaskGraphRunner.run": vars(DaskGraphRunner)["run"],
        "DaskGraphRunner.dask_run": vars(DaskGraphRunner).get("dask_run"),
    }
    for name in speedups.DEBUG_ONLY_DEEPCOPY_MODULES:
        found[f"{name}.copy"] = importlib.import_module(name).copy
    return found


def test_the_session_runs_rasa_as_shipped() -> None:
    """Outside test_speedups.py (which installs them in a fixture) no speed-up is in place."""
    import copy

    assert not speedups.installed()
    now = _rasa_attributes()
    assert now["DaskGraphRunner.dask_run"] is None
    for name in speedups.DEBUG_ONLY_DEEPCOPY_MODULES:
        assert now[f"{name}.copy"] is copy
    assert now["RemoteAction._validate_action_result"].__module__ == "rasa.core.actions.action"


def test_uninstall_puts_back_exactly_what_was_there() -> None:
    before = _rasa_attributes()
    assert speedups.install()
    try:
        during = _rasa_attributes()
        assert all(during[name] is not before[name] for name in before)
    finally:
        speedups.uninstall()
    after = _rasa_attributes()
    assert all(after[name] is before[name] for name in before)
    assert not speedups.installed()


@pytest.mark.parametrize("value", ["0", "false", "off", " No "])
def test_switched_off_by_the_environment(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fence.SWITCH, value)
    before = _rasa_attributes()
    assert not fence.enabled()
    assert not speedups.install()
    assert _rasa_attributes() == before


def test_on_by_default_on_the_checked_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fence.SWITCH, raising=False)
    assert fence.rasa_version() == fence.CHECKED_RASA_VERSION
    assert fence.enabled()
    monkeypatch.setenv(fence.SWITCH, "1")
    assert fence.enabled()


def test_another_rasa_version_is_refused_and_said(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import rasa

    monkeypatch.delenv(fence.SWITCH, raising=False)
    monkeypatch.setattr(rasa, "__version__", "3.7.0rc1")
    monkeypatch.setattr(fence, "_warned", set())
    before = _rasa_attributes()
    with caplog.at_level(logging.WARNING, logger="bot.rasa_ext.fence"):
        assert not speedups.install()
        assert not fence.enabled()
    assert _rasa_attributes() == before
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # said once, not on every message
    assert "Rasa 3.7.0rc1 is installed" in warnings[0] and "Rasa 3.6.21 only" in warnings[0]
