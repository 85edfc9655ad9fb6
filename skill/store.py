"""Earlier check-ins and the runner's consent: one interface, chosen in one place.

What is kept, per runner, under a keyed hash of the Alexa user id (never the id
itself): whether they agreed to be remembered (``yes``, ``no`` or ``unknown``),
and for each check-in only its date, the symptom feature ids, the cause id and
the triage level. A store is given its :class:`Retention` by whoever builds it
(the runtime's comes from the knowledge base's ``history_window_days``, 30:
:func:`skill.history.retention`). Check-ins older than its window are never
returned; a record with nothing newer than that is deleted (by the next read,
by ``legcheck purge``, and on DynamoDB by its TTL attribute).

:func:`store_from_env` is the one place that turns configuration into a store:

``LEGCHECK_DB``
    ``off`` (nothing stored), a path to an SQLite file (the default for local
    serving and development), or ``dynamodb:TABLE``. On AWS Lambda there is no
    default: the CloudFormation stack ``legcheck package`` writes sets
    ``dynamodb:TABLE``.
``LEGCHECK_USER_KEY_SECRET``
    The HMAC-SHA-256 key for user ids (at least 16 characters). Required in
    production (verified web serving and Lambda); in local development an
    SQLite store makes a random one once and keeps it beside the database file
    (``<database>.key``, mode 0600).

Writes are atomic per runner and never replace what could not be read: SQLite
runs each read-modify-write inside one ``BEGIN IMMEDIATE`` transaction (WAL
mode, one connection per thread and process, a short busy timeout); DynamoDB
writes are conditional on a version number and retried on conflict.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from skill.errors import (
    ConfigError,
    CorruptRecordError,
    StoreBusyError,
    StoreConflictError,
    StoreUnavailableError,
)

if TYPE_CHECKING:
    import sqlite3  # imported where used: an SQLite store is never used on Lambda

# The records are NamedTuples, not frozen dataclasses: as immutable, and far cheaper to define
# at a cold start (see skill/knowledge.py).

log = logging.getLogger("legcheck.store")

DB_ENV = "LEGCHECK_DB"
SECRET_ENV = "LEGCHECK_USER_KEY_SECRET"
DEFAULT_DB = Path.home() / ".local" / "share" / "legcheck" / "checkins.sqlite3"
DYNAMODB_PREFIX = "dynamodb:"
OFF_VALUES = ("off", "none")

MAX_CHECKINS = 50
"""At most this many check-ins are kept per runner (the newest)."""
BUSY_TIMEOUT_S = 1.5
"""How long a write waits for another writer; a whole turn stays well inside Alexa's 8 s."""
MAINTENANCE_TIMEOUT_S = 0.05
"""How long a read waits to tidy expired check-ins away; it gives up rather than wait."""
MIN_SECRET_LENGTH = 16
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
PARSED_CACHE_SIZE = 64
MMAP_BYTES = 64 * 1024 * 1024
KEY_ATTRIBUTE = "user_key"
"""The DynamoDB table's hash key (a string): the keyed hash of the Alexa user id."""
TTL_ATTRIBUTE = "expires_at"
"""The DynamoDB attribute holding each record's expiry (epoch seconds), for the table's TTL."""
DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
"""Every DynamoDB action the skill itself calls (``legcheck purge`` also scans): the Lambda
function's role allows these, on the one table, and nothing else."""


class Consent(StrEnum):
    """The runner's answer to "may I remember your check-ins?"."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Deployment(StrEnum):
    """Where the skill runs: it decides the defaults and what must be configured."""

    LOCAL = "local"
    """``legcheck serve --no-verify``, the simulator, tests: a per-database secret is made."""
    SERVER = "server"
    """A verified web service: the secret is required."""
    LAMBDA = "lambda"
    """AWS Lambda: ``LEGCHECK_DB`` and (unless it is off) the secret are required."""


# ---------------------------------------------------------------- records


def _shape(data: object) -> str:
    """What a stored value looks like, without what it says (errors are logged)."""
    if isinstance(data, Mapping):
        return "an object with " + (", ".join(sorted(map(str, data))) or "nothing")
    return f"a {type(data).__name__}"


def _day(value: object, what: str) -> date:
    if not isinstance(value, str):
        raise CorruptRecordError(f"expected {what} as an ISO date string, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CorruptRecordError(f"expected {what} as an ISO date, got {value!r}") from exc


class CheckIn(NamedTuple):
    """One check-in as kept: its date, the feature ids heard, the cause id, the triage level."""

    day: date
    features: tuple[str, ...]
    cause: str
    level: str

    @classmethod
    def of(cls, day: date, features: Iterable[str], cause: str, level: str) -> CheckIn:
        """A check-in with its feature ids in canonical (sorted, distinct) order."""
        return cls(day, tuple(sorted(set(features))), cause, level)

    def age_days(self, today: date) -> int:
        return (today - self.day).days

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "features": list(self.features),
            "cause": self.cause,
            "level": self.level,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: object) -> CheckIn:
        """The check-in a stored object holds; :class:`CorruptRecordError` when it holds none."""
        try:
            day = date.fromisoformat(data["day"])  # type: ignore[index]
            features = data["features"]  # type: ignore[index]
            cause = data["cause"]  # type: ignore[index]
            level = data["level"]  # type: ignore[index]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"expected a check-in with an ISO day, features, cause "
                f"and level, got {_shape(data)}"
            ) from exc
        if (
            type(features) is not list
            or type(cause) is not str
            or type(level) is not str
            or not cause
            or not level
            or not all(type(f) is str and f for f in features)
        ):
            raise CorruptRecordError(
                f"expected feature ids, a cause and a level as strings, got {_shape(data)}"
            )
        return cls(day, tuple(features), cause, level)


class Record(NamedTuple):
    """All that is kept for one runner; ``updated`` is the day of the last write.

    ``checkins`` are oldest first: :meth:`from_parts` sorts what it reads, and
    :func:`appended` keeps the order.
    """

    consent: Consent = Consent.UNKNOWN
    checkins: tuple[CheckIn, ...] = ()
    updated: date | None = None

    @property
    def empty(self) -> bool:
        return self.updated is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "consent": self.consent.value,
            "checkins": [c.to_dict() for c in self.checkins],
            "updated": self.updated.isoformat() if self.updated else None,
        }

    @classmethod
    def from_parts(cls, consent: object, checkins: object, updated: object) -> Record:
        try:
            agreed = Consent(consent if isinstance(consent, str) else repr(consent))
        except ValueError as exc:
            raise CorruptRecordError(
                f"expected a consent of yes, no or unknown, got {consent!r}"
            ) from exc
        if not isinstance(checkins, list | tuple):
            raise CorruptRecordError(f"expected a list of check-ins, got {type(checkins).__name__}")
        kept = tuple(c if isinstance(c, CheckIn) else CheckIn.from_dict(c) for c in checkins)
        return cls(agreed, _oldest_first(kept), _day(updated, "the record's last update"))

    def with_checkins(self, checkins: tuple[CheckIn, ...]) -> Record:
        """The same record with these check-ins (already oldest first)."""
        return Record(self.consent, checkins, self.updated)

    @property
    def oldest(self) -> date | None:
        return self.checkins[0].day if self.checkins else None


def _oldest_first(checkins: tuple[CheckIn, ...]) -> tuple[CheckIn, ...]:
    if any(a.day > b.day for a, b in zip(checkins, checkins[1:], strict=False)):
        return tuple(sorted(checkins, key=lambda c: c.day))
    return checkins


class Retention(NamedTuple):
    """How long check-ins are kept, in days, and how many at most.

    A store is given one by whoever builds it; it never reads the knowledge base itself.
    """

    days: int
    max_checkins: int = MAX_CHECKINS

    def bounded(self, max_checkins: int) -> Retention:
        """The same window, keeping at most ``max_checkins`` check-ins."""
        return self._replace(max_checkins=max_checkins)

    def current(self, checkins: Sequence[CheckIn], today: date) -> tuple[CheckIn, ...]:
        """The check-ins (oldest first) within the window."""
        cutoff = self.cutoff(today)
        if not checkins or checkins[0].day >= cutoff:
            return tuple(checkins)
        return tuple(c for c in checkins if c.day >= cutoff)

    def record_expired(self, record: Record, today: date) -> bool:
        return record.updated is not None and (today - record.updated).days > self.days

    def seen(self, record: Record, today: date) -> Record:
        """The record as a read may return it: nothing past its time (``record`` itself,
        when nothing is)."""
        if record.updated is None:
            return record
        if self.record_expired(record, today):
            return Record()
        checkins = record.checkins
        if not checkins or checkins[0].day >= self.cutoff(today):
            return record
        return Record(record.consent, self.current(checkins, today), record.updated)

    def expires_at(self, updated: date) -> int:
        """Epoch seconds after which a record last written on ``updated`` holds nothing."""
        return (updated.toordinal() - _EPOCH_ORDINAL + self.days + 1) * 86400

    def cutoff(self, today: date) -> date:
        """Check-ins before this day are past their time."""
        return today - timedelta(days=self.days)


def appended(
    record: Record, checkin: CheckIn, consent: Consent | None, retention: Retention
) -> Record:
    """The record with ``checkin`` added (expired ones dropped, the list bounded)."""
    today = checkin.day
    base = retention.seen(record, today)
    kept = base.checkins + (checkin,)
    if base.checkins and checkin.day < base.checkins[-1].day:
        kept = _oldest_first(kept)  # the clock went back: keep the order
    return Record(consent or base.consent, kept[-retention.max_checkins :], today)


def with_consent(record: Record, consent: Consent, today: date, retention: Retention) -> Record:
    """The record with a new consent; a refusal keeps no check-ins."""
    base = retention.seen(record, today)
    kept = () if consent is not Consent.YES else base.checkins
    return Record(consent, kept, today)


# ---------------------------------------------------------------- user keys

RECENT_USERS = 4096
"""Runners whose keys :class:`UserKeys` keeps at hand (the whole set is dropped when full)."""


class UserKeys:
    """Keyed hashes of Alexa user ids: HMAC-SHA-256 with a secret, as hex."""

    def __init__(self, secret: str | bytes) -> None:
        import hashlib  # imported when a store is first configured, not at every cold start
        import hmac

        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"expected a user key secret of at least {MIN_SECRET_LENGTH} "
                f"characters, got {len(raw)}"
            )
        self._keyed = hmac.new(raw, digestmod=hashlib.sha256)  # keyed once, copied per id
        self._recent: dict[str, str] = {}
        """Keys of the runners heard lately: a check-in asks for the same one every turn."""

    def __call__(self, alexa_user_id: str) -> str:
        known = self._recent.get(alexa_user_id)
        if known is not None:
            return known
        if not alexa_user_id:
            raise ValueError("expected an Alexa user id, got an empty one")
        mac = self._keyed.copy()
        mac.update(alexa_user_id.encode())
        key = mac.hexdigest()
        if len(self._recent) >= RECENT_USERS:
            self._recent.clear()
        self._recent[alexa_user_id] = key
        return key

    def __repr__(self) -> str:  # never the secret
        return "UserKeys(<secret>)"

    @staticmethod
    def secret_path(db_path: Path) -> Path:
        return db_path.with_name(db_path.name + ".key")

    @classmethod
    def beside(cls, db_path: Path) -> UserKeys:
        """The local-development secret kept beside the database, made once (mode 0600)."""
        import secrets

        path = cls.secret_path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # write it whole under a temporary name, then link it in place: a process
            # racing this one either wins the link or reads the winner's whole secret
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                try:
                    os.link(tmp, path)
                    log.info("made a user key secret for local development at %s", path)
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o); set it to 0600", path, mode)
            path.chmod(0o600)
        return cls(path.read_text(encoding="ascii").strip())


# ---------------------------------------------------------------- the interface


class CheckInStore(ABC):
    """Earlier check-ins and consent per runner, under keyed user hashes.

    Every method takes the *user key* (see :meth:`user_key`), never the raw
    Alexa user id. Reads apply :attr:`retention`, which whoever builds the store
    gives it; writes are atomic per runner and never replace a record that could
    not be read (:class:`CorruptRecordError`).
    Failures raise subclasses of :class:`skill.errors.StoreError`.
    """

    kind: ClassVar[str] = ""

    def __init__(self, keys: UserKeys | None, retention: Retention) -> None:
        self._keys = keys
        self.retention = retention

    @property
    def keys(self) -> UserKeys:
        if self._keys is None:
            self._keys = self._default_keys()
        return self._keys

    def _default_keys(self) -> UserKeys:
        raise ConfigError(f"expected a user key secret ({SECRET_ENV}) for the {self.describe()}")

    def user_key(self, alexa_user_id: str) -> str:
        """The key the runner's record is kept under: never the Alexa user id itself."""
        return self.keys(alexa_user_id)

    @abstractmethod
    def describe(self) -> str:
        """Where the store keeps its records, for logs."""

    @abstractmethod
    def load(self, user_key: str, today: date) -> Record:
        """The runner's record with the retention applied (an empty one when there is none)."""

    def read(self, user_key: str, today: date) -> list[CheckIn]:
        return list(self.load(user_key, today).checkins)

    def get_consent(self, user_key: str, today: date) -> Consent:
        return self.load(user_key, today).consent

    @abstractmethod
    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        """Add one check-in (and set the consent, when given) in one atomic write."""

    @abstractmethod
    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        """Keep the runner's answer; a refusal also drops their check-ins."""

    @abstractmethod
    def delete(self, user_key: str) -> bool:
        """Delete everything kept for the runner, readable or not; whether there was anything."""

    @abstractmethod
    def purge(self, today: date) -> int:
        """Delete expired records and expired check-ins; the number of records changed."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections (the store can still be used afterwards)."""


# ---------------------------------------------------------------- SQLite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkins (
    user_key TEXT PRIMARY KEY,   -- HMAC-SHA-256 of the Alexa user id, hex
    consent  TEXT NOT NULL,      -- yes, no or unknown
    checkins TEXT NOT NULL,      -- JSON list of {day, features, cause, level}
    updated  TEXT NOT NULL,      -- ISO date of the last write
    oldest   TEXT,               -- ISO date of the oldest check-in kept, for purge
    expires  INTEGER NOT NULL    -- epoch seconds after which the record holds nothing
)
"""
# A rowid table with an index on user_key, not WITHOUT ROWID: a record of a few dozen
# check-ins is too large for a WITHOUT ROWID b-tree (measured here: 2.5x slower writes).
_LEGACY_TABLE = "attributes"  # rows keyed by raw Alexa user ids, kept without consent


def _sqlite_error(exc: sqlite3.Error, doing: str, where: Path) -> StoreUnavailableError:
    import sqlite3

    message = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        return StoreBusyError(
            f"{doing}: {where} stayed locked by another writer past the busy timeout ({message})"
        )
    return StoreUnavailableError(f"{doing}: {where}: {message}")


class SqliteStore(CheckInStore):
    """One SQLite file in WAL mode; one kept-open connection per thread (and per process)."""

    kind = "sqlite"

    def __init__(
        self,
        path: str | Path,
        keys: UserKeys | None,
        retention: Retention,
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(keys, retention)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[tuple[int, sqlite3.Connection]] = []
        self._all_lock = threading.Lock()
        self._parsed: dict[str, tuple[CheckIn, ...]] = {}

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def _default_keys(self) -> UserKeys:
        # local development only: StoreConfig refuses a missing secret in production
        return UserKeys.beside(self.path)

    # -- connections and transactions

    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        # Connections opening a new file at once can find it locked while one of them turns
        # on WAL (SQLite then answers busy without waiting): try again until the busy timeout.
        deadline = time.monotonic() + self.busy_timeout
        attempt = 0
        while True:
            conn = None
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._set_up(conn)
                break
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                busy = _sqlite_error(exc, "opening the check-in store", self.path)
                if not isinstance(busy, StoreBusyError) or time.monotonic() >= deadline:
                    raise busy from exc
                attempt += 1
                time.sleep(min(0.05, 0.002 * 2**attempt))
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._all_lock:
            self._all.append((os.getpid(), conn))
        return conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        conn.execute(_SCHEMA)
        legacy = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_LEGACY_TABLE,)
        ).fetchone()
        if legacy:
            # An older Leg Check kept check-ins under raw user ids without asking: drop them.
            conn.execute(f"DROP TABLE IF EXISTS {_LEGACY_TABLE}")
            log.warning(
                "dropped the check-ins an older version kept under raw user ids "
                "without consent in %s",
                self.path,
            )

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is held from the first read."""
        import sqlite3

        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, doing, self.path) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _sqlite_error(exc, doing, self.path) from exc
            raise

    @contextmanager
    def _impatient(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute(f"PRAGMA busy_timeout = {int(MAINTENANCE_TIMEOUT_S * 1000)}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")

    def close(self) -> None:
        import sqlite3

        with self._all_lock:
            conns, self._all = self._all, []
        for pid, conn in conns:
            if pid != os.getpid():
                continue  # a connection inherited across fork is the parent's to close
            with suppress(sqlite3.Error):  # closing is best effort
                conn.close()
        self._local = threading.local()

    # -- rows

    def _row_record(self, row: tuple[Any, ...]) -> Record:
        consent, checkins, updated = row[0], row[1], row[2]
        parsed = self._parsed.get(checkins) if isinstance(checkins, str) else None
        if parsed is not None:  # the same text was read (or written) and checked before
            return Record.from_parts(consent, (), updated).with_checkins(parsed)
        try:
            items = json.loads(checkins)
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"expected a JSON list of check-ins, got {len(str(checkins))} characters that "
                f"are not"
            ) from exc
        record = Record.from_parts(consent, items, updated)
        self._remember_parsed(checkins, record.checkins)
        return record

    def _remember_parsed(self, text: str, checkins: tuple[CheckIn, ...]) -> None:
        """Memoise parsed check-in lists by their exact text: a turn parses its list once."""
        if len(self._parsed) >= PARSED_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[text] = checkins

    def _select(self, conn: sqlite3.Connection, user_key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(
            "SELECT consent, checkins, updated FROM checkins WHERE user_key = ?", (user_key,)
        ).fetchone()
        return row

    def _write(
        self, conn: sqlite3.Connection, user_key: str, record: Record, text: str | None = None
    ) -> None:
        """Insert or replace the row (inside a transaction that read it); ``text`` is the
        check-in list as JSON, when the caller already has it."""
        assert record.updated is not None
        oldest = record.oldest
        if text is None:
            text = _checkins_json(record.checkins)
        self._remember_parsed(text, record.checkins)
        conn.execute(
            "INSERT INTO checkins (user_key, consent, checkins, updated, oldest, expires) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET "
            "consent = excluded.consent, checkins = excluded.checkins, "
            "updated = excluded.updated, oldest = excluded.oldest, expires = excluded.expires",
            (
                user_key,
                record.consent.value,
                text,
                record.updated.isoformat(),
                oldest.isoformat() if oldest else None,
                self.retention.expires_at(record.updated),
            ),
        )

    # -- the interface

    def load(self, user_key: str, today: date) -> Record:
        import sqlite3

        conn = self._connect()
        try:
            row = self._select(conn, user_key)
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "reading check-ins", self.path) from exc
        if row is None:
            self._local.last_read = (user_key, None, Record())
            return Record()
        stored = self._row_record(row)
        seen = self.retention.seen(stored, today)
        if seen is stored:
            self._local.last_read = (user_key, row, stored)
        else:
            self._local.last_read = None
            self._tidy(conn, user_key, row, seen)
        return seen

    def _tidy(
        self, conn: sqlite3.Connection, user_key: str, row: tuple[Any, ...], seen: Record
    ) -> None:
        """Remove what a read found past its time, if the row is unchanged and the lock free."""
        import sqlite3

        try:
            with self._impatient(conn):
                if seen.empty:
                    conn.execute(
                        "DELETE FROM checkins WHERE user_key = ? AND checkins = ? AND updated = ?",
                        (user_key, row[1], row[2]),
                    )
                else:
                    oldest = seen.oldest
                    conn.execute(
                        "UPDATE checkins SET checkins = ?, oldest = ? "
                        "WHERE user_key = ? AND checkins = ? AND updated = ?",
                        (
                            _checkins_json(seen.checkins),
                            oldest.isoformat() if oldest else None,
                            user_key,
                            row[1],
                            row[2],
                        ),
                    )
        except sqlite3.Error as exc:
            log.debug("left expired check-ins for the next purge: %s", exc)

    def _appended(
        self,
        row: tuple[Any, ...] | None,
        checkin: CheckIn,
        consent: Consent | None,
        stored: Record | None = None,
    ) -> tuple[Record, str | None]:
        """The record ``row`` holds (parsed: ``stored``) with ``checkin`` added, and its list
        as JSON when that is the stored text with one more item (nothing dropped)."""
        if stored is None:
            stored = self._row_record(row) if row is not None else Record()
        record = appended(stored, checkin, consent, self.retention)
        if (
            row is not None
            and record.checkins[-1] is checkin
            and len(record.checkins) == len(stored.checkins) + 1
        ):
            old = str(row[1])
            return record, old[:-1] + ("," if stored.checkins else "") + checkin.to_json() + "]"
        return record, None

    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        """Add a check-in atomically.

        When this thread's last read was of the same runner, first try one
        compare-and-set statement: write only if the row is still exactly what
        was read (or, when there was none, still absent). If anything changed
        in between, or there was no such read, the read-modify-write runs again
        inside one ``BEGIN IMMEDIATE`` transaction. Either way no other write
        is lost, and an unreadable record is never replaced.
        """
        last = getattr(self._local, "last_read", None)
        self._local.last_read = None
        if (
            last is not None
            and last[0] == user_key
            and self._compare_and_append(user_key, last[1], last[2], checkin, consent)
        ):
            return
        with self._transaction("storing a check-in") as conn:
            record, text = self._appended(self._select(conn, user_key), checkin, consent)
            self._write(conn, user_key, record, text)

    def _compare_and_append(
        self,
        user_key: str,
        row: tuple[Any, ...] | None,
        stored: Record,
        checkin: CheckIn,
        consent: Consent | None,
    ) -> bool:
        """Append in one statement if the row is unchanged since ``row`` was read."""
        import sqlite3

        record, text = self._appended(row, checkin, consent, stored)
        assert record.updated is not None
        if text is None:
            text = _checkins_json(record.checkins)
        oldest = record.oldest
        values = (
            record.consent.value,
            text,
            record.updated.isoformat(),
            oldest.isoformat() if oldest else None,
            self.retention.expires_at(record.updated),
        )
        conn = self._connect()
        try:
            if row is None:
                cursor = conn.execute(
                    "INSERT INTO checkins (consent, checkins, updated, oldest, expires, "
                    "user_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_key) DO NOTHING",
                    (*values, user_key),
                )
            else:
                cursor = conn.execute(
                    "UPDATE checkins SET consent = ?, checkins = ?, updated = ?, oldest = ?, "
                    "expires = ? WHERE user_key = ? AND consent = ? AND checkins = ? "
                    "AND updated = ?",
                    (*values, user_key, row[0], row[1], row[2]),
                )
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "storing a check-in", self.path) from exc
        if cursor.rowcount == 1:
            self._remember_parsed(text, record.checkins)
            return True
        return False

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        with self._transaction("storing consent") as conn:
            row = self._select(conn, user_key)
            stored = self._row_record(row) if row is not None else Record()
            self._write(conn, user_key, with_consent(stored, consent, today, self.retention))

    def delete(self, user_key: str) -> bool:
        self._parsed.clear()
        with self._transaction("deleting check-ins") as conn:
            cursor = conn.execute("DELETE FROM checkins WHERE user_key = ?", (user_key,))
            return cursor.rowcount > 0

    def purge(self, today: date) -> int:
        now = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())
        changed = 0
        with self._transaction("purging expired check-ins") as conn:
            changed += conn.execute("DELETE FROM checkins WHERE expires <= ?", (now,)).rowcount
            cutoff = self.retention.cutoff(today).isoformat()
            rows = conn.execute(
                "SELECT user_key, consent, checkins, updated FROM checkins WHERE oldest < ?",
                (cutoff,),
            ).fetchall()
            for user_key, *rest in rows:
                try:
                    stored = self._row_record(tuple(rest))
                except CorruptRecordError as exc:
                    log.warning("purge: left an unreadable record (it expires on its own): %s", exc)
                    continue
                self._write(
                    conn,
                    user_key,
                    stored._replace(checkins=self.retention.current(stored.checkins, today)),
                )
                changed += 1
        return changed


def _checkins_json(checkins: Sequence[CheckIn]) -> str:
    return "[" + ",".join(c.to_json() for c in checkins) + "]"


# ---------------------------------------------------------------- DynamoDB


class DynamoDbStore(CheckInStore):
    """One DynamoDB item per runner: conditional writes on a version number, retried.

    The table has the string hash key ``user_key`` and a TTL on ``expires_at``.
    Needs GetItem, PutItem, UpdateItem and DeleteItem on the table (and Scan
    for :meth:`purge`, which only an operator runs: the TTL does it in production).
    """

    kind = "dynamodb"

    def __init__(
        self,
        table: str,
        keys: UserKeys | None,
        retention: Retention,
        client: Any = None,
        max_attempts: int = 6,
        deadline: float = 2.5,
    ) -> None:
        super().__init__(keys, retention)
        if not table:
            raise ConfigError("expected a DynamoDB table name after dynamodb:, got none")
        self.table = table
        self.max_attempts = max_attempts
        self.deadline = deadline
        try:
            from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as exc:
            raise ConfigError(
                "a DynamoDB store needs boto3 (AWS Lambda's Python runtime has "
                "it; elsewhere: pip install boto3)"
            ) from exc
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()
        self._client_error: type[Exception] = ClientError
        self._boto_errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
        self._client = client if client is not None else self._default_client()

    @staticmethod
    def _default_client() -> Any:
        import boto3
        from botocore.config import Config

        # A turn makes at most three calls (read; then read and conditional write), each
        # given up after 1.5 s and never retried by botocore (conflicts are retried here,
        # within the deadline): the whole turn stays well inside Alexa's 8 seconds.
        config = Config(
            connect_timeout=0.5,
            read_timeout=1.0,
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        return boto3.client("dynamodb", config=config)

    def describe(self) -> str:
        return f"DynamoDB table {self.table}"

    @staticmethod
    def create_table(client: Any, table: str) -> None:
        """Create the table as the CloudFormation stack does (for development and tests)."""
        client.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
        )
        client.get_waiter("table_exists").wait(TableName=table)
        client.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )

    # -- items

    def _code(self, exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def _unavailable(self, exc: Exception, doing: str) -> StoreUnavailableError:
        return StoreUnavailableError(f"{doing}: DynamoDB table {self.table}: {exc}")

    def _get(self, user_key: str, doing: str) -> tuple[dict[str, Any] | None, int]:
        try:
            answer = self._client.get_item(
                TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}}, ConsistentRead=True
            )
        except self._boto_errors as exc:
            raise self._unavailable(exc, doing) from exc
        raw = answer.get("Item")
        if raw is None:
            return None, 0
        try:
            item = {k: self._deserializer.deserialize(v) for k, v in raw.items()}
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"expected a check-in record, got attributes {sorted(raw)}"
            ) from exc
        version = item.get("version")
        if version is None:
            raise CorruptRecordError(
                f"expected a version number, the record has attributes {sorted(item)}"
            )
        try:
            return item, int(version)
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(f"expected a version number, got {version!r}") from exc

    @staticmethod
    def _record(item: Mapping[str, Any] | None) -> Record:
        if item is None:
            return Record()
        return Record.from_parts(item.get("consent"), item.get("checkins"), item.get("updated"))

    def _put(self, user_key: str, record: Record, version: int) -> None:
        """Write the record if the item is still at ``version`` (0: if there is none)."""
        assert record.updated is not None
        item = {
            KEY_ATTRIBUTE: user_key,
            "consent": record.consent.value,
            "checkins": [c.to_dict() for c in record.checkins],
            "updated": record.updated.isoformat(),
            "version": version + 1,
            TTL_ATTRIBUTE: self.retention.expires_at(record.updated),
        }
        condition: dict[str, Any]
        if version == 0:
            condition = {"ConditionExpression": "attribute_not_exists(user_key)"}
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
        self._client.put_item(
            TableName=self.table,
            Item={k: self._serializer.serialize(v) for k, v in item.items()},
            **condition,
        )

    def _update(self, user_key: str, change: Any, doing: str) -> None:
        """Read, change and conditionally write one record, retrying when another write won."""
        deadline = time.monotonic() + self.deadline
        for attempt in range(1, self.max_attempts + 1):
            item, version = self._get(user_key, doing)
            record = change(self._record(item))
            try:
                self._put(user_key, record, version)
                return
            except self._client_error as exc:
                if self._code(exc) != "ConditionalCheckFailedException":
                    raise self._unavailable(exc, doing) from exc
            except self._boto_errors as exc:
                raise self._unavailable(exc, doing) from exc
            if attempt == self.max_attempts or time.monotonic() >= deadline:
                break
            log.debug("%s: another write came first; retrying (attempt %d)", doing, attempt)
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise StoreConflictError(
            f"{doing}: other writes to the same record kept coming first "
            f"({self.max_attempts} attempts)"
        )

    def _delete_if(self, user_key: str, version: int) -> bool:
        try:
            self._client.delete_item(
                TableName=self.table,
                Key={KEY_ATTRIBUTE: {"S": user_key}},
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except self._client_error as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- the interface

    def load(self, user_key: str, today: date) -> Record:
        item, version = self._get(user_key, "reading check-ins")
        stored = self._record(item)
        seen = self.retention.seen(stored, today)
        if seen != stored:
            try:  # tidy what is past its time, unless another write came first
                if seen.empty:
                    self._delete_if(user_key, version)
                else:
                    self._put(user_key, seen._replace(updated=stored.updated), version)
            except self._boto_errors as exc:
                log.debug("left expired check-ins for the TTL: %s", exc)
        return seen

    def append(self, user_key: str, checkin: CheckIn, consent: Consent | None = None) -> None:
        self._update(
            user_key,
            lambda record: appended(record, checkin, consent, self.retention),
            "storing a check-in",
        )

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        self._update(
            user_key,
            lambda record: with_consent(record, consent, today, self.retention),
            "storing consent",
        )

    def delete(self, user_key: str) -> bool:
        try:
            answer = self._client.delete_item(
                TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}}, ReturnValues="ALL_OLD"
            )
        except self._boto_errors as exc:
            raise self._unavailable(exc, "deleting check-ins") from exc
        return bool(answer.get("Attributes"))

    def purge(self, today: date) -> int:
        now = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())
        changed = 0
        kwargs: dict[str, Any] = {"TableName": self.table}
        try:
            while True:
                page = self._client.scan(**kwargs)
                for raw in page.get("Items", []):
                    changed += self._purge_item(raw, today, now)
                if "LastEvaluatedKey" not in page:
                    return changed
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except self._boto_errors as exc:
            raise self._unavailable(exc, "purging expired check-ins") from exc

    def _purge_item(self, raw: Mapping[str, Any], today: date, now: int) -> int:
        user_key = raw[KEY_ATTRIBUTE]["S"]
        expires = raw.get(TTL_ATTRIBUTE, {}).get("N")
        try:
            item = {k: self._deserializer.deserialize(v) for k, v in raw.items()}
            version = int(item.get("version", 0))
            stored = self._record(item)
        except (CorruptRecordError, TypeError, ValueError) as exc:
            if expires is not None and int(expires) <= now:
                self._client.delete_item(TableName=self.table, Key={KEY_ATTRIBUTE: {"S": user_key}})
                return 1
            log.warning("purge: left an unreadable record (it expires on its own): %s", exc)
            return 0
        seen = self.retention.seen(stored, today)
        if seen == stored:
            return 0
        if seen.empty:
            return int(self._delete_if(user_key, version))
        try:
            self._put(user_key, seen._replace(updated=stored.updated), version)
        except self._client_error as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                return 0  # written meanwhile: that write dropped what had expired
            raise
        return 1


# ---------------------------------------------------------------- configuration


class StoreConfig(NamedTuple):
    """What the configuration asks for: a kind, where, and the user key secret."""

    kind: str  # "off", "sqlite" or "dynamodb"
    path: Path | None = None
    table: str | None = None
    secret: str | None = None
    deployment: Deployment = Deployment.LOCAL

    @classmethod
    def from_env(cls, env: Mapping[str, str], deployment: Deployment) -> StoreConfig:
        value = (env.get(DB_ENV) or "").strip()
        secret = env.get(SECRET_ENV) or None
        if not value:
            if deployment is Deployment.LAMBDA:
                raise ConfigError(
                    f"expected {DB_ENV} on AWS Lambda: dynamodb:TABLE (the stack that "
                    f"legcheck package writes sets it) or off; got nothing (a /tmp file would "
                    f"last only as long as one function instance)"
                )
            value = str(DEFAULT_DB)
        if value.lower() in OFF_VALUES:
            return cls("off", deployment=deployment)
        if value.startswith(DYNAMODB_PREFIX):
            table = value[len(DYNAMODB_PREFIX) :].strip()
            if not table:
                raise ConfigError(
                    f"expected {DB_ENV}=dynamodb:TABLE with a table name, got {value!r}"
                )
            config = cls("dynamodb", table=table, secret=secret, deployment=deployment)
        else:
            config = cls(
                "sqlite", path=Path(value).expanduser(), secret=secret, deployment=deployment
            )
        needs_secret = deployment is not Deployment.LOCAL or config.kind == "dynamodb"
        if secret is None and needs_secret:
            where = (
                "a DynamoDB store" if config.kind == "dynamodb" else f"{deployment.value} serving"
            )
            raise ConfigError(
                f"expected {SECRET_ENV} for {where}: the secret that turns Alexa user ids into "
                f"keyed hashes (at least {MIN_SECRET_LENGTH} characters, for example from "
                f"`python -c 'import secrets; print(secrets.token_hex(32))'`); got none"
            )
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"expected {SECRET_ENV} of at least {MIN_SECRET_LENGTH} "
                f"characters, got {len(secret)}"
            )
        return config


def open_store(config: StoreConfig, retention: Retention) -> CheckInStore | None:
    """The store a :class:`StoreConfig` names, keeping ``retention``; None for ``off``."""
    if config.kind == "off":
        return None
    if config.kind == "dynamodb":
        assert config.table is not None and config.secret is not None
        return DynamoDbStore(config.table, UserKeys(config.secret), retention)
    assert config.path is not None
    # without a secret (local development) the store makes one beside the file when first needed
    return SqliteStore(config.path, UserKeys(config.secret) if config.secret else None, retention)


def store_from_env(
    env: Mapping[str, str] | None = None,
    deployment: Deployment = Deployment.LOCAL,
    *,
    retention: Retention,
) -> CheckInStore | None:
    """The one place configuration picks the store (``None``: nothing is stored); it keeps
    check-ins as long as ``retention`` says."""
    config = StoreConfig.from_env(os.environ if env is None else env, deployment)
    store = open_store(config, retention)
    if store is not None:
        log.info("check-ins are kept in the %s", store.describe())
    return store
