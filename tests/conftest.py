"""Shared fixtures: the Flask ``app`` and ``client``, and a skill with its own store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill
from flask import Flask
from flask.testing import FlaskClient

from skill.app import build_skill
from skill.history import retention
from skill.knowledge import load_knowledge
from skill.store import SqliteStore, UserKeys
from skill.web import create_app
from tests.certs import TestPKI, shared_pki

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
"""The tests' fixed clock: a morning after a run."""
TODAY = NOW.date()
"""The tests' fixed day."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to connect beyond 127.0.0.1."""
    from tests.certs import forbid_network

    forbid_network(monkeypatch)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    """The test certificate authority, intermediate and leaves, built once."""
    return shared_pki()


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


TEST_SECRET = "test-user-key-secret-0123456789"


def sqlite_store(path: Path) -> SqliteStore:
    """An SQLite check-in store with the tests' user key secret and the knowledge's retention."""
    return SqliteStore(path, UserKeys(TEST_SECRET), retention(load_knowledge()))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = sqlite_store(tmp_path / "checkins.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def skill_obj(store: SqliteStore) -> CustomSkill:
    return build_skill(store)


@pytest.fixture
def app(skill_obj: CustomSkill) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "LEGCHECK_SKILL": skill_obj, "LEGCHECK_VERIFY": False})
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def checked_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Flask test client made in the test checks every answer it gets.

    A 200 from POST / must be a response Alexa would take (the JSON Schema in
    ``tests/schemas/alexa-response.schema.json`` and ``skill.limits``), any other answer a 4xx
    with a one-line reason, never a 5xx (see ``tests.alexa_response.CheckingClient``).
    """
    from tests.alexa_response import CheckingClient

    monkeypatch.setattr(Flask, "test_client_class", CheckingClient)
