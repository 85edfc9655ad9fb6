"""The one skill object: how it is built, and the store configuration chooses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import skill.app as app_module
from skill.app import build_builder, default_skill
from skill.errors import ConfigError, StoreUnavailableError
from skill.events import EVENT_HANDLERS, SessionlessExceptionHandler
from skill.handlers import REQUEST_HANDLERS, CatchAllExceptionHandler, UnhandledRequestHandler
from skill.memory import MemoryInterceptor
from skill.settings import Settings
from skill.store import Deployment, UnconfiguredStore


def test_every_handler_is_registered_events_first_and_the_catch_all_last() -> None:
    builder = build_builder(None)
    mappers = builder.skill_configuration.request_mappers
    registered = [
        type(chain.request_handler) for mapper in mappers for chain in mapper.request_handler_chains
    ]
    assert registered == [*EVENT_HANDLERS, *REQUEST_HANDLERS]
    assert registered[-1] is UnhandledRequestHandler
    exception_handlers = [
        type(h) for h in builder.skill_configuration.exception_mapper.exception_handlers
    ]
    assert exception_handlers == [SessionlessExceptionHandler, CatchAllExceptionHandler]
    interceptors = builder.skill_configuration.request_interceptors
    assert any(isinstance(i, MemoryInterceptor) for i in interceptors)


def test_the_default_skill_is_built_once_with_the_configured_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(app_module, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", str(tmp_path / "x.sqlite3"))
    monkeypatch.delenv("LEGCHECK_USER_KEY_SECRET", raising=False)
    first = default_skill(Deployment.LOCAL)
    assert default_skill(Deployment.LOCAL) is first
    with pytest.raises(ConfigError, match="LEGCHECK_USER_KEY_SECRET"):
        default_skill(Deployment.SERVER)
    monkeypatch.delenv("LEGCHECK_DB")
    with pytest.raises(ConfigError, match="expected LEGCHECK_DB on AWS Lambda"):
        Settings.load(Deployment.LAMBDA)


def test_on_lambda_a_configuration_that_cannot_work_leaves_a_skill_without_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app_module, "_default", {})
    monkeypatch.delenv("LEGCHECK_DB", raising=False)
    with caplog.at_level("ERROR", logger="legcheck"):
        lambda_skill = default_skill(Deployment.LAMBDA)
    assert default_skill(Deployment.LAMBDA) is lambda_skill
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("configuration refused at cold start: expected LEGCHECK_DB on AWS")
    [memory] = [
        i
        for i in lambda_skill.request_dispatcher.request_interceptors
        if isinstance(i, MemoryInterceptor)
    ]
    assert isinstance(memory.store, UnconfiguredStore)
    with pytest.raises(StoreUnavailableError, match="not configured: expected LEGCHECK_DB"):
        memory.store.load("", date(2026, 11, 24))
