"""Shared fixtures: the Flask ``app`` and ``client``, a skill with its own store, the test PKI,
and DynamoDB on moto (in-process credentials, a server on a free loopback port, a fresh table).

Helpers that are not fixtures live in ``tests/support/``."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill
from flask import Flask
from flask.testing import FlaskClient
from hypothesis.configuration import set_hypothesis_home_dir

from skill.app import build_skill
from skill.store import DynamoDbStore, SqliteStore
from skill.web import create_app
from tests.support.certs import TestPKI, shared_pki
from tests.support.stores import server_client, sqlite_store


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its caches and example database in a temporary folder of this
    process's own (one per xdist worker), removed at the end, not in ``.hypothesis/`` in the
    working tree. Set here, before collection: its plugin reads the test modules' constants
    into that folder while collecting."""
    home = tempfile.mkdtemp(prefix="legcheck-hypothesis-")
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    set_hypothesis_home_dir(home)


@pytest.fixture(autouse=True, scope="session")
def simulator_machine_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test keeps a simulator runner's id in the home folder: this machine's runner
    (``legcheck simulate`` without ``--user``) is kept in a folder of the test session's own.
    A test that runs ``legcheck simulate`` in a child process gives it its own ``HOME``."""
    from skill.tools.simulator import runners

    path = tmp_path_factory.mktemp("simulator-home") / "simulator-user"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runners, "MACHINE_USER_FILE", path)
        yield path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to connect beyond 127.0.0.1."""
    from tests.support.certs import forbid_network

    forbid_network(monkeypatch)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    """The test certificate authority, intermediate and leaves, built once."""
    return shared_pki()


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
    with a one-line reason, never a 5xx (see ``tests.support.alexa_response.CheckingClient``).
    """
    from tests.support.alexa_response import CheckingClient

    monkeypatch.setattr(Flask, "test_client_class", CheckingClient)


# ------------------------------------------------------------------ DynamoDB on moto


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so nothing can reach a real AWS account."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's DynamoDB server on a free loopback port; its endpoint URL.

    DynamoDB checks a conditional write and makes it as one atomic step; moto's server
    answers each request on its own thread and does not (its condition check and its write
    can interleave with another request's, so a write that should have been refused lands:
    seen here once in a loaded full run). Its writes are made atomic here, as the real
    service's are, so the concurrency tests test the store, not moto."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.server import ThreadedMotoServer

    lock = threading.Lock()
    originals = {name: getattr(DynamoDBBackend, name) for name in ("put_item", "delete_item")}

    def atomic(method: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(self, *args, **kwargs)

        return call

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, atomic(method))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)


@pytest.fixture
def moto_table(moto_server: str, aws_env: None) -> Iterator[Any]:
    """A fresh table on the moto server; deleted afterwards."""
    client = server_client(moto_server)
    name = f"legcheck-test-{os.urandom(4).hex()}"
    DynamoDbStore.create_table(client, name)
    yield client, name
    client.delete_table(TableName=name)
