"""Earlier check-ins: what is stored, and where.

Only what the escalation rules need is kept: when each check-in happened,
the symptom features the runner had, and the outcome. Entries older than the
knowledge base's ``history_window_days`` are dropped on every save.

:class:`SqlitePersistenceAdapter` is an ask-sdk-core persistence adapter
keyed by the Alexa user id, for the local endpoint and any single-host
deployment.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope

from skill.triage import PriorCheckIn

MAX_ENTRIES = 50


def parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def prior_checkins(entries: Sequence[dict[str, Any]], now: datetime) -> list[PriorCheckIn]:
    """Turn stored entries into the engine's plain records, ignoring unreadable ones."""
    out = []
    for entry in entries:
        try:
            days = (now - parse_time(str(entry["at"]))).total_seconds() / 86400
            features = tuple(str(f) for f in entry["features"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(PriorCheckIn(round(days, 3), features))
    return out


def add_checkin(entries: Sequence[dict[str, Any]], now: datetime, features: Sequence[str],
                cause: str, level: str, window_days: float) -> list[dict[str, Any]]:
    """The stored list with this check-in added and expired ones dropped."""
    kept = [
        e for e in entries
        if isinstance(e, dict) and "at" in e
        and (now - parse_time(str(e["at"]))).total_seconds() / 86400 <= window_days
    ]
    kept.append({
        "at": now.isoformat().replace("+00:00", "Z"),
        "features": sorted(features),
        "cause": cause,
        "level": level,
    })
    return kept[-MAX_ENTRIES:]


def _user_id(envelope: RequestEnvelope) -> str:
    system = envelope.context.system if envelope.context else None
    if system is not None and system.user is not None and system.user.user_id:
        return str(system.user.user_id)
    if envelope.session is not None and envelope.session.user is not None:
        return str(envelope.session.user.user_id)
    raise ValueError("the request carries no user id")


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):  # type: ignore[misc]
    """Persistent attributes in one SQLite table, one JSON row per Alexa user."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5)
        if not self._ready:
            conn.execute("CREATE TABLE IF NOT EXISTS attributes "
                         "(user_id TEXT PRIMARY KEY, data TEXT NOT NULL)")
            conn.commit()
            self._ready = True
        return conn

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        with self._lock:
            conn = self._connect()
            try:
                row = conn.execute("SELECT data FROM attributes WHERE user_id = ?",
                                   (_user_id(request_envelope),)).fetchone()
            finally:
                conn.close()
        if row is None:
            return {}
        data: dict[str, Any] = json.loads(row[0])
        return data

    def save_attributes(self, request_envelope: RequestEnvelope,
                        attributes: dict[str, Any]) -> None:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("INSERT INTO attributes (user_id, data) VALUES (?, ?) "
                             "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
                             (_user_id(request_envelope), json.dumps(attributes)))
                conn.commit()
            finally:
                conn.close()

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("DELETE FROM attributes WHERE user_id = ?",
                             (_user_id(request_envelope),))
                conn.commit()
            finally:
                conn.close()
