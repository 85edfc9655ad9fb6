"""The day a runner said no to a check-in reminder, kept in their record by both stores: only
for a runner who agreed to be remembered, dropped with their consent, and read back from a
record written before reminders (no such field) as never declined."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.errors import CorruptRecordError
from skill.store import (
    CheckIn,
    CheckInStore,
    Consent,
    DynamoDbStore,
    Record,
    Retention,
    SqliteStore,
    UserKeys,
    appended,
    with_consent,
    with_reminder_declined,
)
from tests.support.stores import raw_sql

TODAY = date(2026, 11, 24)
KEYS = UserKeys("reminder-store-secret-0123456789")
RETENTION = Retention(30)
TABLE = "legcheck-reminder-test"
ALICE = "amzn1.ask.account.ALICE"


def checkin(day: date = TODAY) -> CheckIn:
    return CheckIn.of(day, ("itching", "legs"), "post_run_itch", "self_care")


@pytest.fixture(params=["sqlite", pytest.param("dynamodb-mock", marks=pytest.mark.slow)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CheckInStore]:
    opened: CheckInStore
    if request.param == "sqlite":
        opened = SqliteStore(tmp_path / "reminders.sqlite3", KEYS, RETENTION)
        yield opened
        opened.close()
        return
    request.getfixturevalue("aws_env")
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoDbStore.create_table(client, TABLE)
        yield DynamoDbStore(TABLE, KEYS, RETENTION, client=client)


# ------------------------------------------------------------------ the record


def test_a_declined_reminder_is_kept_only_for_a_runner_who_agreed() -> None:
    agreed = Record(Consent.YES, (checkin(TODAY - timedelta(days=2)),), TODAY)
    assert with_reminder_declined(agreed, TODAY, RETENTION).reminder_declined == TODAY
    for other in (Record(), Record(Consent.NO, (), TODAY), Record(Consent.UNKNOWN, (), TODAY)):
        assert with_reminder_declined(other, TODAY, RETENTION).reminder_declined is None


def test_a_check_in_keeps_the_declined_day_and_a_refusal_drops_it() -> None:
    declined = with_reminder_declined(Record(Consent.YES, (), TODAY), TODAY, RETENTION)
    later = TODAY + timedelta(days=2)
    assert appended(declined, checkin(later), None, RETENTION).reminder_declined == TODAY
    assert with_consent(declined, Consent.YES, later, RETENTION).reminder_declined == TODAY
    assert with_consent(declined, Consent.NO, later, RETENTION).reminder_declined is None


def test_a_record_from_before_reminders_reads_as_never_declined() -> None:
    old = Record.from_parts("yes", [checkin().to_dict()], "2026-11-24")
    assert old.reminder_declined is None
    assert "reminder_declined" not in old.to_dict()
    new = Record.from_parts("yes", [], "2026-11-24", "2026-11-23")
    assert new.reminder_declined == date(2026, 11, 23)
    assert new.to_dict()["reminder_declined"] == "2026-11-23"
    with pytest.raises(CorruptRecordError, match="the day a reminder was declined"):
        Record.from_parts("yes", [], "2026-11-24", "last tuesday")


# ------------------------------------------------------------------ both stores


def test_each_store_keeps_the_day_and_keeps_it_through_later_writes(
    any_store: CheckInStore,
) -> None:
    alice = any_store.user_key(ALICE)
    any_store.append(alice, checkin(TODAY - timedelta(days=1)), Consent.YES)
    any_store.decline_reminder(alice, TODAY)
    assert any_store.load(alice, TODAY).reminder_declined == TODAY
    any_store.append(alice, checkin(TODAY + timedelta(days=1)))
    record = any_store.load(alice, TODAY + timedelta(days=1))
    assert (record.reminder_declined, len(record.checkins)) == (TODAY, 2)
    any_store.set_consent(alice, Consent.NO, TODAY + timedelta(days=2))
    assert any_store.load(alice, TODAY + timedelta(days=2)) == Record(
        Consent.NO, (), TODAY + timedelta(days=2)
    )


def test_each_store_keeps_nothing_for_a_runner_who_did_not_agree(any_store: CheckInStore) -> None:
    alice = any_store.user_key(ALICE)
    any_store.decline_reminder(alice, TODAY)  # no record at all: none is made
    assert any_store.load(alice, TODAY) == Record()
    any_store.set_consent(alice, Consent.NO, TODAY)
    any_store.decline_reminder(alice, TODAY)
    assert any_store.load(alice, TODAY) == Record(Consent.NO, (), TODAY)


def test_an_sqlite_file_from_before_reminders_gains_the_column_and_loses_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.sqlite3"
    raw_sql(
        db,
        "CREATE TABLE checkins (user_key TEXT PRIMARY KEY, consent TEXT NOT NULL, "
        "checkins TEXT NOT NULL, updated TEXT NOT NULL, oldest TEXT, expires INTEGER NOT NULL)",
    )
    key = KEYS(ALICE)
    raw_sql(
        db,
        "INSERT INTO checkins VALUES (?, 'yes', ?, '2026-11-23', '2026-11-23', 9999999999)",
        (key, f"[{checkin(TODAY - timedelta(days=1)).to_json()}]"),
    )
    store = SqliteStore(db, KEYS, RETENTION)
    try:
        record = store.load(key, TODAY)
        assert (record.consent, len(record.checkins), record.reminder_declined) == (
            Consent.YES,
            1,
            None,
        )
        store.decline_reminder(key, TODAY)
        assert store.load(key, TODAY).reminder_declined == TODAY
    finally:
        store.close()
    with closing(sqlite3.connect(db)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(checkins)")]
    assert columns[-1] == "declined"


@pytest.mark.slow  # moto's mock
def test_a_dynamodb_item_from_before_reminders_reads_as_never_declined(aws_env: Any) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoDbStore.create_table(client, TABLE)
        store = DynamoDbStore(TABLE, KEYS, RETENTION, client=client)
        key = store.user_key(ALICE)
        client.put_item(
            TableName=TABLE,
            Item={
                "user_key": {"S": key},
                "consent": {"S": "yes"},
                "checkins": {"L": []},
                "updated": {"S": "2026-11-23"},
                "version": {"N": "1"},
                "expires_at": {"N": "9999999999"},
            },
        )
        assert store.load(key, TODAY).reminder_declined is None
        store.decline_reminder(key, TODAY)
        item = client.get_item(TableName=TABLE, Key={"user_key": {"S": key}})["Item"]
        assert item["reminder_declined"] == {"S": "2026-11-24"}
        assert store.load(key, TODAY).reminder_declined == TODAY
