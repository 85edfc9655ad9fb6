"""Earlier check-ins: what is stored, for how long, and the SQLite adapter."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skill.envelopes import Session
from skill.history import MAX_ENTRIES, SqlitePersistenceAdapter, add_checkin, prior_checkins
from skill.web import parse_envelope

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_a_check_in_keeps_only_when_what_and_the_outcome() -> None:
    entries = add_checkin([], NOW, ["legs", "itching"], "post_run_itch", "self_care", 30)
    assert entries == [{"at": "2026-11-24T08:00:00Z", "features": ["itching", "legs"],
                        "cause": "post_run_itch", "level": "self_care"}]


def test_old_check_ins_are_dropped_and_the_list_is_bounded() -> None:
    old = {"at": (NOW - timedelta(days=31)).isoformat(), "features": ["itching"]}
    recent = {"at": (NOW - timedelta(days=2)).isoformat(), "features": ["itching"]}
    entries = add_checkin([old, recent], NOW, ["itching"], "post_run_itch", "self_care", 30)
    assert [e["at"] for e in entries][0] == recent["at"]
    assert len(entries) == 2
    many: list[dict[str, object]] = []
    for _ in range(MAX_ENTRIES + 10):
        many = add_checkin(many, NOW, ["itching"], "post_run_itch", "self_care", 30)
    assert len(many) == MAX_ENTRIES


def test_prior_check_ins_skip_what_cannot_be_read() -> None:
    entries = [{"at": "2026-11-21T08:00:00Z", "features": ["twitching"]},
               {"at": "yesterday", "features": ["itching"]}, {"features": ["cramp"]}]
    priors = prior_checkins(entries, NOW)
    assert len(priors) == 1
    assert priors[0].days_ago == 3.0 and priors[0].features == ("twitching",)


def _envelope(user: str) -> object:
    return parse_envelope(
        __import__("json").dumps(Session(user_id=user).launch()).encode())[1]


def test_sqlite_adapter_round_trip_per_user(tmp_path: Path) -> None:
    store = SqlitePersistenceAdapter(tmp_path / "nested" / "db.sqlite3")
    alice, bob = _envelope("amzn1.ask.account.alice"), _envelope("amzn1.ask.account.bob")
    assert store.get_attributes(alice) == {}
    store.save_attributes(alice, {"checkins": [{"at": "2026-11-24T08:00:00Z"}]})
    store.save_attributes(bob, {"checkins": []})
    assert store.get_attributes(alice) == {"checkins": [{"at": "2026-11-24T08:00:00Z"}]}
    store.delete_attributes(alice)
    assert store.get_attributes(alice) == {}
    assert store.get_attributes(bob) == {"checkins": []}


def test_sqlite_adapter_is_safe_under_concurrent_saves(tmp_path: Path) -> None:
    store = SqlitePersistenceAdapter(tmp_path / "db.sqlite3")
    envelopes = [_envelope(f"amzn1.ask.account.u{i}") for i in range(8)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for n in range(20):
                store.save_attributes(envelopes[i], {"n": n})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(store.get_attributes(e) == {"n": 19} for e in envelopes)
