"""The SQLite backend: one file in WAL mode, for local serving and development.

Each read-modify-write runs inside one ``BEGIN IMMEDIATE`` transaction, with one
kept-open connection per thread and process and a short busy timeout. ``sqlite3``
is imported where it is used: an SQLite store is never used on Lambda.

The store makes its file the first time, and only then: once it has seen the file (when it
was made, or at its first use), a file deleted or replaced behind its back is reported
(an ERROR log line naming the path, then :class:`StoreUnavailableError` on every use), never
silently made again empty, which would lose every runner's check-ins and consent.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.errors import CorruptRecordError, StoreBusyError, StoreUnavailableError
from skill.store.base import CheckInStore
from skill.store.keys import UserKeys
from skill.store.records import (
    CheckIn,
    Consent,
    Record,
    Retention,
    appended,
    with_consent,
    with_reminder_declined,
)

if TYPE_CHECKING:
    import sqlite3  # imported where used: an SQLite store is never used on Lambda

log = logging.getLogger("legcheck.store")

BUSY_TIMEOUT_S = 1.5
"""How long a write waits for another writer; a whole turn stays well inside Alexa's 8 s."""
MAINTENANCE_TIMEOUT_S = 0.05
"""How long a read waits to tidy expired check-ins away; it gives up rather than wait."""
PARSED_CACHE_SIZE = 64
MMAP_BYTES = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkins (
    user_key TEXT PRIMARY KEY,   -- HMAC-SHA-256 of the Alexa user id, hex
    consent  TEXT NOT NULL,      -- yes, no or unknown
    checkins TEXT NOT NULL,      -- JSON list of {day, features, cause, level}
    updated  TEXT NOT NULL,      -- ISO date of the last write
    oldest   TEXT,               -- ISO date of the oldest check-in kept, for purge
    expires  INTEGER NOT NULL,   -- epoch seconds after which the record holds nothing
    declined TEXT                -- ISO date the runner last said no to a reminder, or NULL
)
"""
_DECLINED_COLUMN = "declined"
"""Added after the first release: a file made before it gains the column when opened."""
# A rowid table with an index on user_key, not WITHOUT ROWID: a record of a few dozen
# check-ins is too large for a WITHOUT ROWID b-tree (measured here: 2.5x slower writes).
_LEGACY_TABLE = "attributes"  # rows keyed by raw Alexa user ids, kept without consent


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names (device and inode); None when there is none."""
    st = os.stat(path)  # other OSErrors (a folder that cannot be searched) are the caller's
    return st.st_dev, st.st_ino


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
        self._file: tuple[int, int] | None = None
        """The file this store uses (device, inode), once it has seen one."""
        self._file_gone_logged = False
        with suppress(OSError):
            self._file = _identity(self.path)
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

    def _check_file(self) -> None:
        """Raise if the file this store has used is gone or another file stands in its place.

        A kept-open connection would go on writing to a deleted file's inode (lost at
        close), and a new one would make a new empty file: either way every runner's
        check-ins and consent would silently be gone. One ``stat`` per use (about a
        microsecond)."""
        if self._file is None:
            return  # never seen: making it is the first use
        try:
            now: tuple[int, int] | None = _identity(self.path)
        except FileNotFoundError:
            now = None
        except OSError:
            return  # cannot tell (a folder that cannot be searched): opening it will say why
        if now == self._file:
            return
        what = "deleted" if now is None else "replaced by another file"
        if not self._file_gone_logged:
            self._file_gone_logged = True
            log.error(
                "the check-in store %s was %s after Leg Check opened it; not making a new "
                "empty one (every runner's check-ins and consent would be lost without a "
                "word): put the file back and restart Leg Check, or restart it to start a new, "
                "empty store",
                self.path,
                what,
            )
        raise StoreUnavailableError(
            f"opening the check-in store: expected the file Leg Check opened at {self.path}, "
            f"found it {what}"
        )

    def _connect(self) -> sqlite3.Connection:
        import sqlite3

        self._check_file()
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
        if self._file is None:
            with suppress(OSError):
                self._file = _identity(self.path)  # made by this connection (or another's)
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
        self._add_declined_column(conn)
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

    @staticmethod
    def _add_declined_column(conn: sqlite3.Connection) -> None:
        """A file made before reminders (no ``declined`` column) gains it; its records read
        as never having declined one."""
        import sqlite3

        columns = {row[1] for row in conn.execute("PRAGMA table_info(checkins)")}
        if _DECLINED_COLUMN in columns:
            return
        try:
            conn.execute(f"ALTER TABLE checkins ADD COLUMN {_DECLINED_COLUMN} TEXT")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another connection added it first
                raise

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
        try:
            return self._parse_row(row)
        except CorruptRecordError as exc:  # the log says where
            raise CorruptRecordError(f"a record in {self.path}: {exc}") from exc

    def _parse_row(self, row: tuple[Any, ...]) -> Record:
        """The record of a row ``(consent, checkins, updated, declined)``."""
        consent, checkins, updated, declined = row[0], row[1], row[2], row[3]
        parsed = self._parsed.get(checkins) if isinstance(checkins, str) else None
        if parsed is not None:  # the same text was read (or written) and checked before
            return Record.from_parts(consent, (), updated, declined).with_checkins(parsed)
        try:
            items = json.loads(checkins)
        except (TypeError, ValueError) as exc:
            raise CorruptRecordError(
                f"expected a JSON list of check-ins, got {len(str(checkins))} characters that "
                f"are not"
            ) from exc
        record = Record.from_parts(consent, items, updated, declined)
        self._remember_parsed(checkins, record.checkins)
        return record

    def _remember_parsed(self, text: str, checkins: tuple[CheckIn, ...]) -> None:
        """Memoise parsed check-in lists by their exact text: a turn parses its list once."""
        if len(self._parsed) >= PARSED_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[text] = checkins

    def _select(self, conn: sqlite3.Connection, user_key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(
            "SELECT consent, checkins, updated, declined FROM checkins WHERE user_key = ?",
            (user_key,),
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
            "INSERT INTO checkins (user_key, consent, checkins, updated, oldest, expires, "
            "declined) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET "
            "consent = excluded.consent, checkins = excluded.checkins, "
            "updated = excluded.updated, oldest = excluded.oldest, expires = excluded.expires, "
            "declined = excluded.declined",
            (
                user_key,
                record.consent.value,
                text,
                record.updated.isoformat(),
                oldest.isoformat() if oldest else None,
                self.retention.expires_at(record.updated),
                _declined(record),
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
        unexpired = self.retention.unexpired(stored, today)
        if unexpired is stored:
            self._local.last_read = (user_key, row, stored)
        else:
            self._local.last_read = None
            self._tidy(conn, user_key, row, unexpired)
        return unexpired

    def _tidy(
        self, conn: sqlite3.Connection, user_key: str, row: tuple[Any, ...], unexpired: Record
    ) -> None:
        """Remove what a read found past its time, if the row is unchanged and the lock free."""
        import sqlite3

        try:
            with self._impatient(conn):
                if unexpired.empty:
                    conn.execute(
                        "DELETE FROM checkins WHERE user_key = ? AND checkins = ? AND updated = ?",
                        (user_key, row[1], row[2]),
                    )
                else:
                    oldest = unexpired.oldest
                    conn.execute(
                        "UPDATE checkins SET checkins = ?, oldest = ? "
                        "WHERE user_key = ? AND checkins = ? AND updated = ?",
                        (
                            _checkins_json(unexpired.checkins),
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
            _declined(record),
        )
        conn = self._connect()
        try:
            if row is None:
                cursor = conn.execute(
                    "INSERT INTO checkins (consent, checkins, updated, oldest, expires, "
                    "declined, user_key) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(user_key) DO NOTHING",
                    (*values, user_key),
                )
            else:
                cursor = conn.execute(
                    "UPDATE checkins SET consent = ?, checkins = ?, updated = ?, oldest = ?, "
                    "expires = ?, declined = ? WHERE user_key = ? AND consent = ? "
                    "AND checkins = ? AND updated = ? AND declined IS ?",
                    (*values, user_key, row[0], row[1], row[2], row[3]),
                )
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "storing a check-in", self.path) from exc
        if cursor.rowcount == 1:
            self._remember_parsed(text, record.checkins)
            return True
        return False

    def check_writable(self) -> None:
        """Take the write lock and write the file's header unchanged, then roll back: it
        fails as a check-in's write would (a read-only file or folder, a lock held past the
        busy timeout) and changes nothing. About 30 us; a commit would add 60 us more to an
        advice turn to catch a full disk, which the write itself then meets, and says."""
        import sqlite3

        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                conn.execute(f"PRAGMA user_version = {version}")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "checking the store can be written", self.path) from exc

    def set_consent(self, user_key: str, consent: Consent, today: date) -> None:
        with self._transaction("storing consent") as conn:
            row = self._select(conn, user_key)
            stored = self._row_record(row) if row is not None else Record()
            self._write(conn, user_key, with_consent(stored, consent, today, self.retention))

    def decline_reminder(self, user_key: str, today: date) -> None:
        with self._transaction("storing a declined reminder") as conn:
            row = self._select(conn, user_key)
            if row is None:
                return  # nothing kept, so nobody who agreed to be remembered
            stored = self._row_record(row)
            record = with_reminder_declined(stored, today, self.retention)
            if record.reminder_declined == today and record != stored:
                self._write(conn, user_key, record)

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
                "SELECT user_key, consent, checkins, updated, declined FROM checkins "
                "WHERE oldest < ?",
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


def _declined(record: Record) -> str | None:
    day = record.reminder_declined
    return day.isoformat() if day is not None else None


def _checkins_json(checkins: Sequence[CheckIn]) -> str:
    return "[" + ",".join(c.to_json() for c in checkins) + "]"
