"""Stores for the tests: SQLite with the tests' secret, one that fails on purpose, a record
no reader can make sense of, and a DynamoDB client for moto's server."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from skill.history import retention
from skill.knowledge import load_knowledge
from skill.store import (
    KEY_ATTRIBUTE,
    CheckIn,
    CheckInStore,
    Consent,
    DynamoDbStore,
    Record,
    SqliteStore,
    UserKeys,
)

TEST_SECRET = "test-user-key-secret-0123456789"


def sqlite_store(path: Path) -> SqliteStore:
    """An SQLite check-in store with the tests' user key secret."""
    return SqliteStore(path, UserKeys(TEST_SECRET), retention(load_knowledge()))


class FailingStore(CheckInStore):
    """A store whose reads or writes fail as told; it counts what it was asked."""

    kind = "failing"

    def __init__(
        self, fail_read: Exception | None = None, fail_write: Exception | None = None
    ) -> None:
        super().__init__(UserKeys(TEST_SECRET), retention(load_knowledge()))
        self.fail_read, self.fail_write = fail_read, fail_write
        self.loads = 0
        self.appended: list[CheckIn] = []

    def describe(self) -> str:
        return "failing store"

    def load(self, user_key: str, today: date) -> Record:
        self.loads += 1
        if self.fail_read:
            raise self.fail_read
        return Record(Consent.YES, tuple(self.appended), today if self.appended else None)

    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        if self.fail_write:
            raise self.fail_write
        self.appended.append(checkin)

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        if self.fail_write:
            raise self.fail_write

    def decline_reminder(self, user_key: str, today: date) -> None:
        if self.fail_write:
            raise self.fail_write

    def check_writable(self) -> None:
        if self.fail_write:
            raise self.fail_write

    def delete(self, user_key: str) -> bool:
        if self.fail_write:
            raise self.fail_write
        return bool(self.appended)

    def purge(self, today: date) -> int:
        return 0


def raw_sql(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Run one statement on the file directly, as another program would."""
    with closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(sql, params).fetchall()


def corrupt(store: CheckInStore, user_key: str) -> None:
    """Store something no reader can make sense of under ``user_key``."""
    if isinstance(store, SqliteStore):
        store._connect()  # the schema
        raw_sql(
            store.path,
            "INSERT OR REPLACE INTO checkins (user_key, consent, checkins, updated, oldest, "
            "expires) VALUES (?, 'yes', '{not json', '2026-11-24', NULL, 9999999999)",
            (user_key,),
        )
        return
    assert isinstance(store, DynamoDbStore)
    store._client.put_item(
        TableName=store.table,
        Item={
            KEY_ATTRIBUTE: {"S": user_key},
            "consent": {"S": "perhaps"},
            "checkins": {"S": "not a list"},
            "version": {"N": "3"},
        },
    )


def server_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
