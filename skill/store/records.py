"""What is kept for a runner, and for how long: the records and the retention.

Per runner, under a keyed hash of the Alexa user id (never the id itself, see
:mod:`skill.store.keys`): whether they agreed to be remembered (``yes``, ``no``
or ``unknown``), for each check-in only its date, the symptom feature ids,
the cause id and the triage level, and, for a runner who agreed, the day they last
said no to a check-in reminder (so it is not offered again for a week). A store is
given its :class:`Retention` by whoever builds it (the runtime's comes from the knowledge
base's ``history_window_days``, 30: :func:`skill.history.retention`). Check-ins older than
its window are never returned; a record with nothing newer than that is deleted (by the
next read, by ``legcheck purge``, and on DynamoDB by its TTL attribute).

:func:`appended`, :func:`with_consent` and :func:`with_reminder_declined` are the writes as
pure functions of a record; each backend runs them inside its own atomic read-modify-write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from skill.errors import CorruptRecordError

# The records are NamedTuples, not frozen dataclasses: as immutable, and far cheaper to define
# at a cold start (see skill/knowledge.py).

MAX_CHECKINS = 50
"""At most this many check-ins are kept per runner (the newest)."""
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Consent(StrEnum):
    """The runner's answer to "may I remember your check-ins?"."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


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
    """One check-in as kept: its date, the feature ids heard, the cause id, the triage level
    (or ``resolved``, a follow-up's "it's gone": :data:`skill.history.RESOLVED`)."""

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
    reminder_declined: date | None = None
    """The day the runner last said no to a check-in reminder (kept only for a runner who
    agreed to be remembered; a record written before reminders has none)."""

    @property
    def empty(self) -> bool:
        return self.updated is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "consent": self.consent.value,
            "checkins": [c.to_dict() for c in self.checkins],
            "updated": self.updated.isoformat() if self.updated else None,
        }
        if self.reminder_declined is not None:
            out["reminder_declined"] = self.reminder_declined.isoformat()
        return out

    @classmethod
    def from_parts(
        cls, consent: object, checkins: object, updated: object, reminder_declined: object = None
    ) -> Record:
        """The record stored as these parts; ``reminder_declined`` None (or absent, in a
        record written before reminders) when the runner never said no to one."""
        try:
            agreed = Consent(consent if isinstance(consent, str) else repr(consent))
        except ValueError as exc:
            raise CorruptRecordError(
                f"expected a consent of yes, no or unknown, got {consent!r}"
            ) from exc
        if not isinstance(checkins, list | tuple):
            raise CorruptRecordError(f"expected a list of check-ins, got {type(checkins).__name__}")
        kept = tuple(c if isinstance(c, CheckIn) else CheckIn.from_dict(c) for c in checkins)
        declined = (
            None
            if reminder_declined is None
            else _day(reminder_declined, "the day a reminder was declined")
        )
        return cls(agreed, _oldest_first(kept), _day(updated, "the record's last update"), declined)

    def with_checkins(self, checkins: tuple[CheckIn, ...]) -> Record:
        """The same record with these check-ins (already oldest first)."""
        return self._replace(checkins=checkins)

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

    def unexpired(self, record: Record, today: date) -> Record:
        """The record as a read may return it: nothing past its time (``record`` itself,
        when nothing is)."""
        if record.updated is None:
            return record
        if self.record_expired(record, today):
            return Record()
        checkins = record.checkins
        if not checkins or checkins[0].day >= self.cutoff(today):
            return record
        return record._replace(checkins=self.current(checkins, today))

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
    base = retention.unexpired(record, today)
    kept = base.checkins + (checkin,)
    if base.checkins and checkin.day < base.checkins[-1].day:
        kept = _oldest_first(kept)  # the clock went back: keep the order
    agreed = consent or base.consent
    declined = base.reminder_declined if agreed is Consent.YES else None
    return Record(agreed, kept[-retention.max_checkins :], today, declined)


def with_consent(record: Record, consent: Consent, today: date, retention: Retention) -> Record:
    """The record with a new consent; a refusal keeps no check-ins (and no declined
    reminder)."""
    base = retention.unexpired(record, today)
    if consent is not Consent.YES:
        return Record(consent, (), today)
    return Record(consent, base.checkins, today, base.reminder_declined)


def with_reminder_declined(record: Record, today: date, retention: Retention) -> Record:
    """The record of a runner who agreed to be remembered, with today as the day they said no
    to a check-in reminder; any other record is returned as it is (nothing is kept of
    someone who did not agree)."""
    base = retention.unexpired(record, today)
    if base.consent is not Consent.YES:
        return base
    return base._replace(updated=today, reminder_declined=today)
