"""The check-in store: one contract for SQLite and DynamoDB, and what each adds.

The contract tests run against a real SQLite file, DynamoDB in moto's
in-process mock (``mock_aws``) and DynamoDB behind moto's local server
(``ThreadedMotoServer`` on 127.0.0.1). SQLite is then held to concurrent
writers in several processes and a lock held past its busy timeout; DynamoDB
to conflicting concurrent writes.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.errors import (
    ConfigError,
    CorruptRecordError,
    StoreBusyError,
    StoreConflictError,
    StoreUnavailableError,
)
from skill.store.base import CheckInStore
from skill.store.config import Deployment, StoreConfig, open_store, store_from_env
from skill.store.dynamodb import KEY_ATTRIBUTE, TTL_ATTRIBUTE, DynamoDbStore
from skill.store.keys import RECENT_USERS, UserKeys
from skill.store.records import CheckIn, Consent, Record, Retention
from skill.store.sqlite import SqliteStore
from tests.support.fixtures import TODAY
from tests.support.stores import corrupt, raw_sql, server_client

SECRET = "store-test-secret-0123456789abcdef"
KEYS = UserKeys(SECRET)
RETENTION = Retention(30)
TABLE = "legcheck-test"
ALICE = "amzn1.ask.account.ALICE"
BOB = "amzn1.ask.account.BOB"
LAMBDA_REGION = {"AWS_REGION": "us-east-1"}
"""What AWS Lambda sets in every function's environment: the table's region."""


def checkin(
    day: date = TODAY, *features: str, cause: str = "post_run_itch", level: str = "self_care"
) -> CheckIn:
    return CheckIn.of(day, features or ("itching", "legs"), cause, level)


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def moto_mock(aws_env: None) -> Iterator[Any]:
    """A DynamoDB client on moto's in-process mock, with the table created."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        DynamoDbStore.create_table(client, TABLE)
        yield client


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("dynamodb-mock", marks=pytest.mark.slow),  # moto's mock, set up per test
        pytest.param("dynamodb-server", marks=pytest.mark.slow),  # a table on moto's server
    ]
)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CheckInStore]:
    """Each kind of store, empty."""
    opened: CheckInStore
    if request.param == "sqlite":
        opened = SqliteStore(tmp_path / "contract.sqlite3", KEYS, RETENTION)
    elif request.param == "dynamodb-mock":
        client = request.getfixturevalue("moto_mock")
        opened = DynamoDbStore(TABLE, KEYS, RETENTION, client=client)
    else:
        client, name = request.getfixturevalue("moto_table")
        opened = DynamoDbStore(name, KEYS, RETENTION, client=client)
    yield opened
    opened.close()


# ------------------------------------------------------------------ records and keys


def test_a_check_in_keeps_only_the_day_the_features_the_cause_and_the_level() -> None:
    kept = checkin(TODAY, "legs", "itching", "legs")
    assert kept.to_dict() == {
        "day": "2026-11-24",
        "features": ["itching", "legs"],
        "cause": "post_run_itch",
        "level": "self_care",
    }
    assert CheckIn.from_dict(json.loads(kept.to_json())) == kept


@pytest.mark.parametrize(
    "data",
    [
        None,
        "x",
        {"day": "yesterday", "features": [], "cause": "c", "level": "l"},
        {"day": "2026-11-24", "features": "itching", "cause": "c", "level": "l"},
        {"day": "2026-11-24", "features": [1], "cause": "c", "level": "l"},
        {"day": "2026-11-24", "features": [], "cause": "", "level": "l"},
        {"day": "2026-11-24", "features": []},
    ],
)
def test_an_unreadable_check_in_is_a_corrupt_record(data: object) -> None:
    with pytest.raises(CorruptRecordError):
        CheckIn.from_dict(data)


def test_a_record_reads_its_check_ins_oldest_first() -> None:
    late, early = checkin(TODAY).to_dict(), checkin(TODAY - timedelta(days=3)).to_dict()
    record = Record.from_parts("yes", [late, early], "2026-11-24")
    assert [c.day for c in record.checkins] == [TODAY - timedelta(days=3), TODAY]
    with pytest.raises(CorruptRecordError, match="consent"):
        Record.from_parts("maybe", [], "2026-11-24")


def test_user_keys_are_keyed_hashes_never_the_id() -> None:
    key = KEYS(ALICE)
    assert len(key) == 64 and ALICE not in key
    assert key == KEYS(ALICE) != KEYS(BOB)
    assert key != UserKeys(SECRET + "other")(ALICE)
    assert SECRET not in repr(KEYS)
    with pytest.raises(ConfigError, match="at least 16"):
        UserKeys("short")
    with pytest.raises(ValueError):
        KEYS("")


def test_user_keys_kept_at_hand_are_the_same_keys_and_bounded() -> None:
    import hashlib
    import hmac

    keys = UserKeys(SECRET)
    expected = hmac.new(SECRET.encode(), ALICE.encode(), hashlib.sha256).hexdigest()
    assert keys(ALICE) == expected and keys(ALICE) == expected  # computed, then kept
    for n in range(RECENT_USERS + 5):
        keys(f"amzn1.ask.account.R{n}")
    assert len(keys._recent) <= RECENT_USERS
    assert keys(ALICE) == expected


def test_a_local_secret_is_made_once_beside_the_database_mode_0600(tmp_path: Path) -> None:
    db = tmp_path / "data" / "checkins.sqlite3"
    made: list[UserKeys] = []
    threads = [threading.Thread(target=lambda: made.append(UserKeys.beside(db))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    path = UserKeys.secret_path(db)
    assert path == tmp_path / "data" / "checkins.sqlite3.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len({k(ALICE) for k in made}) == 1  # the racers agree on one secret
    assert UserKeys.beside(db)(ALICE) == made[0](ALICE)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    path.chmod(0o644)
    UserKeys.beside(db)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_local_store_makes_its_secret_only_when_a_user_is_keyed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "lazy.sqlite3", None, RETENTION)
    assert store.purge(TODAY) == 0
    assert not UserKeys.secret_path(store.path).exists()
    store.user_key(ALICE)
    assert UserKeys.secret_path(store.path).exists()


# ------------------------------------------------------------------ the contract


def test_append_and_read_per_user(any_store: CheckInStore) -> None:
    alice, bob = any_store.user_key(ALICE), any_store.user_key(BOB)
    assert any_store.read(alice, TODAY) == []
    assert any_store.load(alice, TODAY) == Record()
    any_store.append(alice, checkin(TODAY - timedelta(days=2)), Consent.YES)
    any_store.append(alice, checkin(TODAY, "twitching", "lower_legs", cause="low_electrolytes"))
    any_store.append(bob, checkin(TODAY), Consent.YES)
    got = any_store.read(alice, TODAY)
    assert [(c.day, c.features, c.cause) for c in got] == [
        (TODAY - timedelta(days=2), ("itching", "legs"), "post_run_itch"),
        (TODAY, ("lower_legs", "twitching"), "low_electrolytes"),
    ]
    assert any_store.get_consent(alice, TODAY) is Consent.YES
    assert len(any_store.read(bob, TODAY)) == 1


def test_consent_is_kept_and_a_refusal_keeps_no_check_ins(any_store: CheckInStore) -> None:
    alice = any_store.user_key(ALICE)
    assert any_store.get_consent(alice, TODAY) is Consent.UNKNOWN
    any_store.set_consent(alice, Consent.NO, TODAY)
    assert any_store.load(alice, TODAY) == Record(Consent.NO, (), TODAY)
    any_store.append(alice, checkin(), Consent.YES)
    any_store.append(alice, checkin())
    assert len(any_store.read(alice, TODAY)) == 2
    any_store.set_consent(alice, Consent.YES, TODAY)
    assert len(any_store.read(alice, TODAY)) == 2
    any_store.set_consent(alice, Consent.NO, TODAY)  # "stop remembering"
    assert any_store.load(alice, TODAY) == Record(Consent.NO, (), TODAY)


def test_delete_removes_everything_and_says_whether_there_was_anything(
    any_store: CheckInStore,
) -> None:
    alice, bob = any_store.user_key(ALICE), any_store.user_key(BOB)
    any_store.append(alice, checkin(), Consent.YES)
    any_store.append(bob, checkin(), Consent.YES)
    assert any_store.delete(alice) is True
    assert any_store.load(alice, TODAY) == Record()
    assert any_store.delete(alice) is False
    assert len(any_store.read(bob, TODAY)) == 1


def test_a_corrupt_record_is_never_overwritten_but_is_deleted(any_store: CheckInStore) -> None:
    alice = any_store.user_key(ALICE)
    corrupt(any_store, alice)
    with pytest.raises(CorruptRecordError):
        any_store.load(alice, TODAY)
    with pytest.raises(CorruptRecordError):
        any_store.append(alice, checkin(), Consent.YES)
    with pytest.raises(CorruptRecordError):
        any_store.set_consent(alice, Consent.NO, TODAY)
    with pytest.raises(CorruptRecordError):  # still there, as it was
        any_store.load(alice, TODAY)
    assert any_store.delete(alice) is True
    assert any_store.load(alice, TODAY) == Record()


def test_retention_applies_on_every_read_and_tidies_what_it_skips(any_store: CheckInStore) -> None:
    alice, bob = any_store.user_key(ALICE), any_store.user_key(BOB)
    any_store.append(alice, checkin(TODAY - timedelta(days=31)), Consent.YES)
    any_store.append(alice, checkin(TODAY - timedelta(days=30)))
    any_store.append(alice, checkin(TODAY - timedelta(days=1)))
    any_store.append(bob, checkin(TODAY - timedelta(days=40)), Consent.YES)
    later = TODAY + timedelta(days=1)
    assert [c.day for c in any_store.read(alice, later)] == [TODAY - timedelta(days=1)]
    assert any_store.load(bob, TODAY) == Record()  # nothing newer than 30 days: no record
    # the read removed what it skipped: an earlier day sees it gone too
    assert len(any_store.read(alice, TODAY)) == 1
    assert any_store.delete(bob) is False


def test_purge_deletes_expired_records_and_trims_expired_check_ins(any_store: CheckInStore) -> None:
    keys = {name: any_store.user_key(name) for name in ("old", "mixed", "fresh", "refused")}
    any_store.append(keys["old"], checkin(TODAY - timedelta(days=45)), Consent.YES)
    any_store.append(keys["mixed"], checkin(TODAY - timedelta(days=25)), Consent.YES)
    any_store.append(keys["mixed"], checkin(TODAY - timedelta(days=3)))
    any_store.append(keys["fresh"], checkin(TODAY), Consent.YES)
    any_store.set_consent(keys["refused"], Consent.NO, TODAY - timedelta(days=10))
    later = TODAY + timedelta(days=6)
    assert any_store.purge(later) == 2  # the old record, and the mixed one's first check-in
    assert any_store.purge(later) == 0
    assert any_store.delete(keys["old"]) is False
    assert [c.day for c in any_store.read(keys["mixed"], TODAY)] == [TODAY - timedelta(days=3)]
    assert len(any_store.read(keys["fresh"], later)) == 1
    assert any_store.get_consent(keys["refused"], later) is Consent.NO
    # a refusal is kept as long as anything else: 30 days after it was given
    much_later = TODAY + timedelta(days=21)
    assert any_store.purge(much_later) == 1
    assert any_store.get_consent(keys["refused"], much_later) is Consent.UNKNOWN
    assert any_store.delete(keys["refused"]) is False


def test_at_most_the_newest_check_ins_are_kept(any_store: CheckInStore) -> None:
    bounded = Retention(30, max_checkins=3)
    any_store.retention = bounded
    alice = any_store.user_key(ALICE)
    for days in range(5, 0, -1):
        any_store.append(alice, checkin(TODAY - timedelta(days=days)), Consent.YES)
    assert [c.day for c in any_store.read(alice, TODAY)] == [
        TODAY - timedelta(days=d) for d in (3, 2, 1)
    ]


def test_a_check_in_dated_before_the_last_keeps_the_order(any_store: CheckInStore) -> None:
    alice = any_store.user_key(ALICE)
    any_store.append(alice, checkin(TODAY), Consent.YES)
    any_store.append(alice, checkin(TODAY - timedelta(days=2)))
    assert [c.day for c in any_store.read(alice, TODAY)] == [TODAY - timedelta(days=2), TODAY]


# ------------------------------------------------------------------ SQLite


def test_sqlite_runs_in_wal_mode_with_one_kept_open_connection_per_thread(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wal.sqlite3", KEYS, RETENTION)
    first = store._connect()
    assert first is store._connect()
    assert first.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other: list[sqlite3.Connection] = []
    worker = threading.Thread(target=lambda: other.append(store._connect()))
    worker.start()
    worker.join()
    assert other[0] is not first
    store.close()
    assert store._connect() is not first


def test_sqlite_keeps_no_raw_user_id_and_drops_what_an_older_version_kept(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    raw_sql(db, "CREATE TABLE attributes (user_id TEXT PRIMARY KEY, data TEXT NOT NULL)")
    raw_sql(db, "INSERT INTO attributes VALUES (?, '{}')", (ALICE,))
    store = SqliteStore(db, KEYS, RETENTION)
    store.append(store.user_key(ALICE), checkin(), Consent.YES)
    store.close()
    tables = {r[0] for r in raw_sql(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    raw_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("VACUUM")
    assert tables == {"checkins"}
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert ALICE.encode() not in raw


def _append_many(path: str, user_id: str, count: int, start: Any, worker: int) -> None:
    """A worker process: wait for the others, then append ``count`` check-ins as a turn does
    (read the history, then append)."""
    store = SqliteStore(path, UserKeys(SECRET), Retention(30, max_checkins=10_000))
    key = store.user_key(user_id)
    start.wait()
    for n in range(count):
        for attempt in range(5):
            # on a starved machine the busy timeout can pass; the turn would log it and
            # still speak, and here the same check-in is tried again: what is appended
            # must never be lost or doubled
            try:
                store.load(key, TODAY)
                store.append(
                    key,
                    CheckIn.of(TODAY, [f"w{worker}", f"n{n}"], "post_run_itch", "self_care"),
                    Consent.YES,
                )
                break
            except StoreBusyError:
                if attempt == 4:
                    raise
    store.close()


@pytest.mark.slow
def test_several_processes_appending_for_one_user_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    workers, each = 4, 25
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers)  # all start appending at once, once all are ready
    procs = [
        context.Process(target=_append_many, args=(path, ALICE, each, start, w))
        for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    store = SqliteStore(path, KEYS, Retention(30, max_checkins=10_000))
    got = {c.features for c in store.read(store.user_key(ALICE), TODAY)}
    assert got == {tuple(sorted((f"w{w}", f"n{n}"))) for w in range(workers) for n in range(each)}


def test_threads_appending_for_one_user_lose_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "threads.sqlite3", KEYS, Retention(30, max_checkins=1000))
    key = store.user_key(ALICE)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(20):
                store.load(key, TODAY)
                store.append(key, checkin(TODAY, f"w{worker}", f"n{n}"), Consent.YES)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.read(key, TODAY)) == 120


def test_a_write_that_changed_the_row_since_it_was_read_is_not_lost(tmp_path: Path) -> None:
    """The compare-and-set append falls back to the transaction when the row moved on."""
    path = tmp_path / "cas.sqlite3"
    mine, theirs = SqliteStore(path, KEYS, RETENTION), SqliteStore(path, KEYS, RETENTION)
    key = mine.user_key(ALICE)
    mine.append(key, checkin(TODAY, "a"), Consent.YES)
    mine.load(key, TODAY)  # what this turn read...
    theirs.append(key, checkin(TODAY, "b"))  # ...another process then changed
    mine.append(key, checkin(TODAY, "c"))
    assert [c.features for c in mine.read(key, TODAY)] == [("a",), ("b",), ("c",)]
    # the same when the runner had no record when read
    other = mine.user_key(BOB)
    mine.load(other, TODAY)
    theirs.append(other, checkin(TODAY, "b"), Consent.YES)
    mine.append(other, checkin(TODAY, "c"))
    assert [c.features for c in mine.read(other, TODAY)] == [("b",), ("c",)]


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Another connection holding the write lock (BEGIN IMMEDIATE); call to release it."""
    path = tmp_path / "locked.sqlite3"
    setup = SqliteStore(path, KEYS, RETENTION)
    key = setup.user_key(ALICE)
    for days in range(5, 0, -1):
        setup.append(key, checkin(TODAY - timedelta(days=days)), Consent.YES)
    setup.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE checkins SET consent = consent")
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            holder.execute("ROLLBACK")
            holder.close()
            released = True

    yield release
    release()


@pytest.mark.slow
def test_a_lock_held_past_the_busy_timeout_fails_the_write_and_keeps_the_history(
    tmp_path: Path, held_lock: Callable[[], None]
) -> None:
    store = SqliteStore(tmp_path / "locked.sqlite3", KEYS, RETENTION, busy_timeout=0.3)
    key = store.user_key(ALICE)
    assert len(store.read(key, TODAY)) == 5  # WAL: readers are not blocked by the writer
    started = time.monotonic()
    with pytest.raises(StoreBusyError, match="busy timeout"):
        store.append(key, checkin(TODAY, "twitching"))
    assert 0.25 < time.monotonic() - started < 2
    with pytest.raises(StoreBusyError):
        store.delete(key)
    with pytest.raises(StoreBusyError):  # so "may I remember?" is not asked
        store.check_writable()
    held_lock()
    assert len(store.read(key, TODAY)) == 5
    store.append(key, checkin(TODAY, "twitching"))
    assert len(store.read(key, TODAY)) == 6


def test_an_unusable_database_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite3").mkdir()
    store = SqliteStore(tmp_path / "dir.sqlite3", KEYS, RETENTION)
    with pytest.raises(StoreUnavailableError, match="dir.sqlite3"):
        store.read(store.user_key(ALICE), TODAY)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailableError):
        SqliteStore(garbage, KEYS, RETENTION).append("k", checkin(), Consent.YES)


def test_a_file_made_the_first_time_is_normal_one_deleted_after_is_not_made_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "made.sqlite3"
    store = SqliteStore(path, KEYS, RETENTION)
    key = store.user_key(ALICE)
    with caplog.at_level(logging.ERROR, logger="legcheck.store"):
        store.append(key, checkin(), Consent.YES)  # the first use makes the file: no error
        assert path.exists() and caplog.records == []
        path.unlink()
        for _ in range(2):  # the kept-open connection would write on into the deleted file
            with pytest.raises(StoreUnavailableError, match="found it deleted"):
                store.append(key, checkin())
        elsewhere: list[BaseException] = []

        def read() -> None:  # a new connection would make a new empty file
            try:
                store.read(key, TODAY)
            except StoreUnavailableError as exc:
                elsewhere.append(exc)

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(elsewhere) == 1 and not path.exists()  # not made again, empty
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1, logged  # loud once, then each failure is the caller's to log
    assert f"the check-in store {path} was deleted after Leg Check opened it" in logged[0]
    assert "not making a new empty one" in logged[0]
    store.close()
    assert SqliteStore(path, KEYS, RETENTION).read(key, TODAY) == []  # a restart starts afresh


def test_a_file_replaced_after_it_was_opened_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "replaced.sqlite3"
    store = SqliteStore(path, KEYS, RETENTION)
    key = store.user_key(ALICE)
    store.append(key, checkin(), Consent.YES)
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE checkins (user_key TEXT PRIMARY KEY)")
    os.replace(other, path)
    with pytest.raises(StoreUnavailableError, match="found it replaced by another file"):
        store.read(key, TODAY)
    with pytest.raises(StoreUnavailableError, match="replaced"):
        store.check_writable()
    store.close()


def test_sqlite_checks_a_write_would_be_kept_without_changing_anything(tmp_path: Path) -> None:
    path = tmp_path / "checked.sqlite3"
    store = SqliteStore(path, KEYS, RETENTION)
    store.check_writable()  # a new store: the file is made, as by any first use
    store.append(store.user_key(ALICE), checkin(), Consent.YES)
    before = raw_sql(path, "SELECT * FROM checkins"), raw_sql(path, "PRAGMA user_version")
    store.check_writable()
    assert (raw_sql(path, "SELECT * FROM checkins"), raw_sql(path, "PRAGMA user_version")) == before


def test_a_purge_leaves_a_corrupt_record_until_it_expires(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "p.sqlite3", KEYS, RETENTION)
    key = store.user_key(ALICE)
    store.append(key, checkin(TODAY - timedelta(days=40)), Consent.YES)
    store.append(key, checkin(TODAY - timedelta(days=10)))
    raw_sql(store.path, "UPDATE checkins SET checkins = '[oops'")
    assert store.purge(TODAY) == 0
    raw_sql(store.path, "UPDATE checkins SET expires = 0")
    assert store.purge(TODAY) == 1
    assert store.delete(key) is False


# ------------------------------------------------------------------ DynamoDB


def test_dynamodb_items_carry_the_ttl_and_a_version(moto_mock: Any) -> None:
    store = DynamoDbStore(TABLE, KEYS, RETENTION, client=moto_mock)
    key = store.user_key(ALICE)
    store.append(key, checkin(TODAY), Consent.YES)
    store.append(key, checkin(TODAY))
    item = moto_mock.get_item(TableName=TABLE, Key={KEY_ATTRIBUTE: {"S": key}})["Item"]
    assert item["version"] == {"N": "2"}
    assert int(item[TTL_ATTRIBUTE]["N"]) == RETENTION.expires_at(TODAY)
    assert RETENTION.expires_at(TODAY) == 1798156800  # 2026-12-25T00:00Z: 31 days on
    assert set(item) == {KEY_ATTRIBUTE, "consent", "checkins", "updated", "version", TTL_ATTRIBUTE}
    ttl = moto_mock.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}
    assert ALICE not in json.dumps(moto_mock.scan(TableName=TABLE)["Items"])


class RacingClient:
    """A client that lets another writer get in first, ``races`` times, just before a put."""

    def __init__(self, client: Any, rival: Callable[[], None], races: int) -> None:
        self._client = client
        self._rival = rival
        self.races = races
        self.puts = 0

    def put_item(self, **kwargs: Any) -> Any:
        self.puts += 1
        if self.races > 0:
            self.races -= 1
            self._rival()
        return self._client.put_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_dynamodb_a_conflicting_write_is_retried_and_nothing_is_lost(moto_mock: Any) -> None:
    rival = DynamoDbStore(TABLE, KEYS, RETENTION, client=moto_mock)
    key = rival.user_key(ALICE)
    rival.append(key, checkin(TODAY, "a"), Consent.YES)
    racing = RacingClient(moto_mock, lambda: rival.append(key, checkin(TODAY, "rival")), 2)
    mine = DynamoDbStore(TABLE, KEYS, RETENTION, client=racing)
    mine.append(key, checkin(TODAY, "mine"))
    assert racing.puts == 3  # two lost the race, the third was written
    assert [c.features for c in mine.read(key, TODAY)] == [
        ("a",),
        ("rival",),
        ("rival",),
        ("mine",),
    ]


@pytest.mark.slow
def test_dynamodb_gives_up_after_its_attempts_without_writing(moto_mock: Any) -> None:
    rival = DynamoDbStore(TABLE, KEYS, RETENTION, client=moto_mock)
    key = rival.user_key(ALICE)
    rival.append(key, checkin(TODAY, "a"), Consent.YES)
    racing = RacingClient(moto_mock, lambda: rival.append(key, checkin(TODAY, "rival")), 99)
    mine = DynamoDbStore(TABLE, KEYS, RETENTION, client=racing, max_attempts=3)
    with pytest.raises(StoreConflictError, match="3 attempts"):
        mine.append(key, checkin(TODAY, "mine"))
    assert ("mine",) not in [c.features for c in rival.read(key, TODAY)]


@pytest.mark.slow
def test_dynamodb_concurrent_writers_over_http_lose_nothing(moto_table: Any) -> None:
    client, name = moto_table
    key = KEYS(ALICE)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        store = DynamoDbStore(
            name,
            KEYS,
            Retention(30, max_checkins=1000),
            client=server_client(client.meta.endpoint_url),
            max_attempts=50,
            deadline=30,
        )
        try:
            for n in range(5):
                store.append(key, checkin(TODAY, f"w{worker}", f"n{n}"), Consent.YES)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = DynamoDbStore(name, KEYS, Retention(30, max_checkins=1000), client=client)
    assert len(store.read(key, TODAY)) == 20


def test_dynamodb_unreachable_is_unavailable_quickly(aws_env: None) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        config=Config(connect_timeout=0.5, retries={"max_attempts": 1}),
    )
    store = DynamoDbStore(TABLE, KEYS, RETENTION, client=client)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=TABLE):
        store.read(store.user_key(ALICE), TODAY)
    with pytest.raises(StoreUnavailableError):
        store.append(store.user_key(ALICE), checkin(), Consent.YES)
    with pytest.raises(StoreUnavailableError):
        store.delete(store.user_key(ALICE))
    assert time.monotonic() - started < 8


def test_dynamodb_a_missing_table_is_unavailable(moto_mock: Any) -> None:
    store = DynamoDbStore("no-such-table", KEYS, RETENTION, client=moto_mock)
    with pytest.raises(StoreUnavailableError, match="no-such-table"):
        store.read(store.user_key(ALICE), TODAY)


def test_dynamodb_checks_a_write_would_be_kept_without_writing(moto_mock: Any) -> None:
    store = DynamoDbStore(TABLE, KEYS, RETENTION, client=moto_mock)
    store.check_writable()
    assert moto_mock.scan(TableName=TABLE)["Items"] == []
    missing = DynamoDbStore("no-such-table", KEYS, RETENTION, client=moto_mock)
    with pytest.raises(StoreUnavailableError, match="no-such-table"):
        missing.check_writable()


def test_dynamodb_store_from_the_environment_talks_to_the_server(
    moto_table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, name = moto_table
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", client.meta.endpoint_url)
    store = store_from_env(
        {"LEGCHECK_DB": f"dynamodb:{name}", "LEGCHECK_USER_KEY_SECRET": SECRET, **LAMBDA_REGION},
        Deployment.LAMBDA,
        retention=RETENTION,
    )
    assert isinstance(store, DynamoDbStore) and store.table == name
    store.append(store.user_key(ALICE), checkin(), Consent.YES)
    assert DynamoDbStore(name, KEYS, RETENTION, client=client).read(KEYS(ALICE), TODAY)


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize("deployment", list(Deployment))
def test_off_needs_nothing(deployment: Deployment) -> None:
    for value in ("off", "OFF", "none"):
        config = StoreConfig.from_env({"LEGCHECK_DB": value}, deployment)
        assert config.kind == "off" and open_store(config, RETENTION) is None


def test_local_development_defaults_to_an_sqlite_file_with_its_own_secret(tmp_path: Path) -> None:
    config = StoreConfig.from_env({}, Deployment.LOCAL)
    assert config.kind == "sqlite" and config.path is not None
    assert config.path.name == "checkins.sqlite3" and config.secret is None
    store = store_from_env(
        {"LEGCHECK_DB": str(tmp_path / "dev.sqlite3")}, Deployment.LOCAL, retention=RETENTION
    )
    assert isinstance(store, SqliteStore) and store.path == tmp_path / "dev.sqlite3"


@pytest.mark.parametrize(
    "env,deployment,complaint",
    [
        ({"LEGCHECK_DB": "/srv/x.sqlite3"}, Deployment.SERVER, "LEGCHECK_USER_KEY_SECRET"),
        ({}, Deployment.SERVER, "LEGCHECK_USER_KEY_SECRET"),
        ({}, Deployment.LAMBDA, "expected LEGCHECK_DB on AWS Lambda"),
        ({"LEGCHECK_DB": "dynamodb:t"}, Deployment.LAMBDA, "LEGCHECK_USER_KEY_SECRET"),
        ({"LEGCHECK_DB": "dynamodb:t"}, Deployment.LOCAL, "LEGCHECK_USER_KEY_SECRET"),
        ({"LEGCHECK_DB": "dynamodb:"}, Deployment.LAMBDA, "table name"),
        (
            {"LEGCHECK_DB": "x.db", "LEGCHECK_USER_KEY_SECRET": "short"},
            Deployment.LOCAL,
            "at least 16",
        ),
    ],
)
def test_configuration_that_cannot_work_safely_is_refused(
    env: dict[str, str], deployment: Deployment, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        StoreConfig.from_env(env, deployment)


def test_production_uses_the_configured_secret(tmp_path: Path) -> None:
    store = store_from_env(
        {"LEGCHECK_DB": str(tmp_path / "prod.sqlite3"), "LEGCHECK_USER_KEY_SECRET": SECRET},
        Deployment.SERVER,
        retention=RETENTION,
    )
    assert store is not None and store.user_key(ALICE) == KEYS(ALICE)
    assert not UserKeys.secret_path(tmp_path / "prod.sqlite3").exists()
    config = StoreConfig.from_env(
        {"LEGCHECK_DB": "dynamodb:legcheck", "LEGCHECK_USER_KEY_SECRET": SECRET, **LAMBDA_REGION},
        Deployment.LAMBDA,
    )
    assert (config.kind, config.table, config.region) == ("dynamodb", "legcheck", "us-east-1")


class RecordingClient:
    """A client that notes each DynamoDB operation it is asked for."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.add(name)
            return method(*args, **kwargs)

        return call


def test_dynamodb_a_turn_uses_only_the_actions_the_role_allows(moto_mock: Any) -> None:
    from skill.store.dynamodb import DYNAMODB_ACTIONS

    recording = RecordingClient(moto_mock)
    store = DynamoDbStore(TABLE, KEYS, RETENTION, client=recording)
    alice, bob = store.user_key(ALICE), store.user_key(BOB)
    store.append(alice, checkin(TODAY - timedelta(days=40)), Consent.YES)
    store.append(alice, checkin(TODAY - timedelta(days=20)))
    store.read(alice, TODAY)  # tidies the expired one
    store.read(alice, TODAY + timedelta(days=60))  # deletes the expired record
    store.set_consent(bob, Consent.NO, TODAY)
    store.delete(bob)
    allowed = {a.split(":")[1] for a in DYNAMODB_ACTIONS}
    used = {"".join(w.title() for w in c.split("_")) for c in recording.calls}
    assert used == allowed


def test_dynamodb_calls_are_bounded_so_a_turn_stays_inside_eight_seconds(aws_env: None) -> None:
    store = DynamoDbStore(TABLE, KEYS, RETENTION)
    config = store._client.meta.config
    assert config.connect_timeout + config.read_timeout <= 1.5
    assert config.retries["total_max_attempts"] == 1
    # a turn: one read, then at most a read and a write per attempt within the deadline
    assert 3 * (config.connect_timeout + config.read_timeout) + store.deadline < 8


# ------------------------------------------------------------------ the package


def test_the_store_is_given_its_retention_and_reads_no_domain_policy() -> None:
    """Its modules import each other and skill.errors, never the knowledge base."""
    import ast

    import skill.store

    for path in sorted(Path(skill.store.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name == "skill" or name.startswith("skill."):
                    assert name == "skill.errors" or name.startswith("skill.store."), (
                        f"{path.name} imports {name}"
                    )
