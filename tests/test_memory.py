"""One turn's memory: keyed by hash, read once, and never the reason a turn fails.

Unit tests of :class:`skill.memory.Memory` over stores that fail on purpose,
then whole turns through the skill with a real SQLite file locked by another
writer, a store that fails mid-check-in, and a record that cannot be read.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.app import build_skill, read_event
from skill.errors import CorruptRecordError, StoreUnavailableError
from skill.memory import Memory, today_of, user_id_of
from skill.store import CheckIn, Consent, Record
from skill.store.sqlite import BUSY_TIMEOUT_S
from skill.strings import strings_for
from skill.tools.envelopes import Session, SlotValue
from tests.support.fixtures import NOW, TODAY
from tests.support.runner import invoke, said
from tests.support.stores import FailingStore, sqlite_store

EN = strings_for("en-US")


def envelope(session: Session, data: dict[str, Any]) -> RequestEnvelope:
    return read_event(data, build_skill(None))


def twitching_check_in(
    skill_obj: CustomSkill, session: Session, now: datetime = NOW
) -> tuple[str, float]:
    """A whole check-in for twitching calves; the advice and the slowest turn's seconds."""
    slowest = 0.0
    response: dict[str, Any] = {}
    data: Callable[[], dict[str, Any]]
    for data in (
        lambda: session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION"),
                SlotValue("BodyPart", "calves", "lower_legs", slot_type="BODY_PART"),
            ],
            now=now,
        ),
        lambda: session.intent("AMAZON.NoIntent", now=now),
    ):
        started = time.monotonic()
        response = invoke(skill_obj, data())
        slowest = max(slowest, time.monotonic() - started)
        if not session.absorb(response):
            break  # advice already (a history can make the last question unnecessary)
    assert response["response"]["shouldEndSession"] is True
    return said(response), slowest


# ------------------------------------------------------------------ Memory


def test_the_user_and_the_day_come_from_the_request() -> None:
    session = Session(user_id="amzn1.ask.account.X")
    data = session.launch(NOW)
    assert user_id_of(envelope(session, data)) == "amzn1.ask.account.X"
    assert today_of(envelope(session, data)) == TODAY
    event = session.skill_disabled(NOW)
    assert "session" not in event
    assert user_id_of(envelope(session, event)) == "amzn1.ask.account.X"
    del data["context"]["System"]["user"]
    assert user_id_of(envelope(session, data)) == "amzn1.ask.account.X"  # from the session


def test_a_timestamp_at_the_edge_of_the_calendar_counts_as_today() -> None:
    session = Session()
    data = session.launch(NOW)
    for stamp in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z", "1999-12-31T23:00:00Z"):
        data["request"]["timestamp"] = stamp
        assert today_of(envelope(session, data)) == datetime.now(UTC).date()


def test_without_a_store_nothing_is_remembered() -> None:
    session = Session()
    memory = Memory(None, envelope(session, session.launch(NOW)))
    assert not memory.available and memory.key is None
    assert memory.recall() == Record()
    assert memory.remember(["itching"], "post_run_itch", "self_care") is False
    assert memory.set_consent(Consent.YES) is False
    assert memory.forget() is False


def test_a_turn_reads_the_record_once_and_keys_by_hash() -> None:
    store = FailingStore()
    session = Session()
    memory = Memory(store, envelope(session, session.launch(NOW)))
    assert memory.key == store.user_key(session.user_id) and session.user_id not in memory.key
    memory.history()
    memory.consent()
    assert store.loads == 1
    assert memory.remember(["legs", "itching"], "post_run_itch", "self_care") is True
    assert store.appended == [CheckIn(TODAY, ("itching", "legs"), "post_run_itch", "self_care")]
    assert len(memory.history()) == 1 and store.loads == 2  # read again after the write


def test_a_failed_read_is_logged_with_the_request_id_and_counts_as_no_history(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = Session()
    data = session.launch(NOW)
    store = FailingStore(fail_read=StoreUnavailableError("table gone"))
    memory = Memory(store, envelope(session, data))
    with caplog.at_level(logging.ERROR, logger="legcheck.memory"):
        assert memory.history() == ()
    assert data["request"]["requestId"] in caplog.text and "table gone" in caplog.text
    assert not memory.unreadable
    corrupt = Memory(FailingStore(fail_read=CorruptRecordError("bad")), envelope(session, data))
    corrupt.recall()
    assert corrupt.unreadable


def test_a_failed_write_is_logged_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    session = Session()
    data = session.launch(NOW)
    memory = Memory(
        FailingStore(fail_write=StoreUnavailableError("disk full")), envelope(session, data)
    )
    with caplog.at_level(logging.ERROR, logger="legcheck.memory"):
        assert memory.remember(["itching"], "post_run_itch", "self_care") is False
        assert memory.set_consent(Consent.NO) is False
    assert caplog.text.count(data["request"]["requestId"]) == 2
    with pytest.raises(StoreUnavailableError):  # never "deleted" when it was not
        memory.forget()


# ------------------------------------------------------------------ whole turns


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Path, Session]]:
    """An SQLite file where a runner has five earlier check-ins of twitching calves."""
    path = tmp_path / "turns.sqlite3"
    store = sqlite_store(path)
    session = Session()
    key = store.user_key(session.user_id)
    for days in (20, 15, 10, 6, 4):
        store.append(
            key,
            CheckIn.of(
                TODAY - timedelta(days=days),
                ["twitching", "lower_legs"],
                "low_electrolytes",
                "self_care",
            ),
            Consent.YES,
        )
    store.close()
    yield path, session


def stored_days(path: Path, session: Session) -> list[date]:
    store = sqlite_store(path)
    try:
        return [c.day for c in store.read(store.user_key(session.user_id), TODAY)]
    finally:
        store.close()


@pytest.mark.slow
def test_a_lock_held_past_the_busy_timeout_still_gets_advice_with_the_history(
    seeded: tuple[Path, Session], caplog: pytest.LogCaptureFixture
) -> None:
    path, session = seeded
    before = stored_days(path, session)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for the whole check-in
    try:
        skill_obj = build_skill(sqlite_store(path))
        with caplog.at_level(logging.ERROR, logger="legcheck.memory"):
            advice, slowest = twitching_check_in(skill_obj, session)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert EN.cause("low_electrolytes")["name"] in advice
    assert "twitching in your shins or calves 6 times this month" in advice  # history read
    assert BUSY_TIMEOUT_S <= slowest < 4  # the write waited its timeout, no longer: under 8 s
    assert "could not store the check-in (request id amzn1.echo-api.request." in caplog.text
    assert stored_days(path, session) == before  # nothing lost, nothing replaced


def test_a_store_failing_mid_check_in_still_gets_the_advice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FailingStore(fail_write=StoreUnavailableError("connection reset"))
    with caplog.at_level(logging.ERROR, logger="legcheck.memory"):
        advice, _ = twitching_check_in(build_skill(store), Session())
    assert EN.cause("low_electrolytes")["name"] in advice
    assert EN.prompt("error") not in advice
    assert "could not store the check-in" in caplog.text and "connection reset" in caplog.text


def test_an_unreadable_record_is_left_alone_by_a_check_in_and_deleted_by_forget(
    tmp_path: Path,
) -> None:
    path = tmp_path / "corrupt.sqlite3"
    store = sqlite_store(path)
    session = Session()
    key = store.user_key(session.user_id)
    store.append(key, CheckIn.of(TODAY, ["itching"], "post_run_itch", "self_care"), Consent.YES)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkins SET checkins = '[{\"day\": 1}]'")
    conn.close()
    skill_obj = build_skill(store)
    advice, _ = twitching_check_in(skill_obj, session)
    assert EN.cause("low_electrolytes")["name"] in advice
    with pytest.raises(CorruptRecordError):  # a failed read led to no write over it
        store.load(key, TODAY)
    forget = Session(user_id=session.user_id)
    asked = invoke(skill_obj, forget.intent("ForgetMeIntent", now=NOW))
    assert said(asked) != EN.prompt("forget_nothing")
    assert asked["sessionAttributes"]["forget"] is True
    forget.absorb(asked)
    done = invoke(skill_obj, forget.intent("AMAZON.YesIntent", now=NOW))
    assert said(done) == EN.prompt("forget_done")
    assert store.load(key, TODAY) == Record()
    store.close()


def test_a_failed_delete_is_never_reported_as_done() -> None:
    store = FailingStore()
    store.appended.append(CheckIn.of(TODAY, ["itching"], "post_run_itch", "self_care"))
    skill_obj = build_skill(store)
    session = Session()
    session.absorb(invoke(skill_obj, session.intent("ForgetMeIntent", now=NOW)))
    store.fail_write = StoreUnavailableError("timeout")  # between the question and the yes
    answer = said(invoke(skill_obj, session.intent("AMAZON.YesIntent", now=NOW)))
    assert answer == EN.prompt("forget_failed")  # not "done", and not "something went wrong"
