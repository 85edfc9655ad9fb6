"""The one skill object and how it is built."""

from __future__ import annotations

from pathlib import Path

from skill.app import build_builder, persistence_from_env
from skill.handlers import REQUEST_HANDLERS, UnhandledRequestHandler
from skill.history import SqlitePersistenceAdapter


def test_every_handler_is_registered_with_the_catch_all_last() -> None:
    builder = build_builder(None)
    mappers = builder.skill_configuration.request_mappers
    registered = [type(chain.request_handler)
                  for mapper in mappers for chain in mapper.request_handler_chains]
    assert registered == list(REQUEST_HANDLERS)
    assert registered[-1] is UnhandledRequestHandler


def test_the_store_follows_legcheck_db(tmp_path: Path) -> None:
    assert persistence_from_env({"LEGCHECK_DB": "off"}) is None
    store = persistence_from_env({"LEGCHECK_DB": str(tmp_path / "x.sqlite3")})
    assert isinstance(store, SqlitePersistenceAdapter)
    assert store.path == str(tmp_path / "x.sqlite3")
    default = persistence_from_env({})
    assert isinstance(default, SqlitePersistenceAdapter)
    assert default.path.endswith("checkins.sqlite3")
