"""One turn's view of the runner's stored record, for the handlers.

:class:`MemoryInterceptor` (registered by :func:`skill.app.build_builder`)
puts a :class:`Memory` in each request's attributes; handlers get it with
:func:`memory_of`. A :class:`Memory` keys the runner by the store's keyed hash
of the Alexa user id, reads the record at most once per turn, and keeps store
failures from stopping a check-in: a failed read is logged and counts as no
history for the advice (and nothing is written over it), but is never taken for
"nothing stored": :attr:`Memory.unreachable` and :attr:`Memory.unreadable` tell the
answers about what is kept that they do not know. A failed write is logged with the
request id, and the turn still speaks its advice; :meth:`Memory.can_write` asks the
store before a question whose yes would be a write. Deleting is the exception: a
failed delete is logged and raises, so the runner is never told their data is gone
when it is not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cached_property

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import RequestEnvelope

from skill.errors import CorruptRecordError, StoreError
from skill.store import CheckIn, CheckInStore, Consent, Record

log = logging.getLogger("legcheck.memory")

ATTRIBUTE = "legcheck.memory"
SANE_YEARS = (2000, 2999)
"""A request dated outside these years is taken as dated today (the verifier refuses them
on a verified endpoint; an unverified one must not do date arithmetic at the calendar's end)."""


def user_id_of(envelope: RequestEnvelope) -> str | None:
    """The Alexa user id of a request, from its context (or, failing that, its session)."""
    system = envelope.context.system if envelope.context else None
    if system is not None and system.user is not None and system.user.user_id:
        return str(system.user.user_id)
    session = envelope.session
    if session is not None and session.user is not None and session.user.user_id:
        return str(session.user.user_id)
    return None


def today_of(envelope: RequestEnvelope) -> date:
    """The request's day in UTC (the request timestamp, or now when it has none)."""
    stamp = envelope.request.timestamp if envelope.request is not None else None
    if isinstance(stamp, datetime):
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        try:
            day = aware.astimezone(UTC).date()
        except (OverflowError, ValueError):  # a timestamp at the edge of the calendar
            day = None
        if day is not None and SANE_YEARS[0] <= day.year <= SANE_YEARS[1]:
            return day
    return datetime.now(UTC).date()


class Memory:
    """The runner's record in the store, for one request."""

    def __init__(self, store: CheckInStore | None, envelope: RequestEnvelope) -> None:
        self.store = store
        self._envelope = envelope
        self._key: str | None = None
        self._record: Record | None = None
        self.problem: StoreError | None = None
        """Why this turn's read failed, if it did (it is not tried again in the turn)."""
        self.write_problem: StoreError | None = None
        """Why this turn's last write failed, if it did."""
        self._writable: bool | None = None

    @cached_property
    def request_id(self) -> str:
        return str(getattr(self._envelope.request, "request_id", "") or "unknown")

    @cached_property
    def today(self) -> date:
        """The request's day (see :func:`today_of`)."""
        return today_of(self._envelope)

    @cached_property
    def _user_id(self) -> str | None:
        return user_id_of(self._envelope)

    @property
    def available(self) -> bool:
        """Whether this skill keeps check-ins at all (a store is configured)."""
        return self.store is not None

    @property
    def key(self) -> str | None:
        """The runner's key in the store (None without a store or a user); raises
        :class:`StoreError` when the store cannot make it (a key file it cannot read)."""
        if self.store is None or self._user_id is None:
            return None
        if self._key is None:
            self._key = self.store.user_key(self._user_id)
        return self._key

    @property
    def known(self) -> bool:
        """Whether the runner's record was read (so their consent is known): a store is
        configured, the request names a user, and the read did not fail."""
        self.recall()
        return self.store is not None and self._user_id is not None and self.problem is None

    @property
    def unreadable(self) -> bool:
        """Whether a record exists that cannot be read (so only deleting it helps)."""
        self.recall()
        return isinstance(self.problem, CorruptRecordError)

    @property
    def unreachable(self) -> bool:
        """Whether the store could not be read at all this turn, so nothing is known of
        the runner's record: not even whether there is one."""
        self.recall()
        return self.problem is not None and not isinstance(self.problem, CorruptRecordError)

    def recall(self) -> Record:
        """The runner's record (retention applied), read once per turn; empty on failure."""
        if self._record is not None:
            return self._record
        if self.store is None or self._user_id is None or self.problem is not None:
            return Record()
        try:
            key = self.key
            assert key is not None
            self._record = self.store.load(key, self.today)
        except StoreError as exc:
            self.problem = exc
            log.error("could not read stored check-ins (request id %s): %s", self.request_id, exc)
            return Record()
        return self._record

    def history(self) -> tuple[CheckIn, ...]:
        return self.recall().checkins

    def consent(self) -> Consent:
        return self.recall().consent

    def remember(
        self, features: Sequence[str], cause: str, level: str, consent: Consent | None = None
    ) -> bool:
        """Store this check-in (and the consent, when given); whether it was stored."""
        if self.store is None or self._user_id is None:
            return False
        checkin = CheckIn.of(self.today, features, cause, level)
        try:
            self.store.append(self._key_for_write(), checkin, consent)
        except StoreError as exc:
            self.write_problem = exc
            log.error("could not store the check-in (request id %s): %s", self.request_id, exc)
            return False
        self._record = None  # the next recall reads what was written
        return True

    def set_consent(self, consent: Consent) -> bool:
        """Keep the runner's answer to the consent question; whether it was kept."""
        if self.store is None or self._user_id is None:
            return False
        try:
            self.store.set_consent(self._key_for_write(), consent, self.today)
        except StoreError as exc:
            self.write_problem = exc
            log.error("could not store consent (request id %s): %s", self.request_id, exc)
            return False
        self._record = None
        return True

    def reminder_declined(self) -> date | None:
        """The day the runner last said no to a check-in reminder, as kept in their record
        (only for a runner who agreed to be remembered)."""
        return self.recall().reminder_declined

    def decline_reminder(self) -> bool:
        """Keep today as the day the runner said no to a reminder (the store writes it only
        for a runner who agreed to be remembered); whether it was kept. A failure is logged
        with the request id: the runner may then be offered one again within the week."""
        if self.store is None or self._user_id is None:
            return False
        try:
            self.store.decline_reminder(self._key_for_write(), self.today)
        except StoreError as exc:
            self.write_problem = exc
            log.error(
                "could not store a declined reminder (request id %s): %s", self.request_id, exc
            )
            return False
        self._record = None
        return True

    def can_write(self) -> bool:
        """Whether a write would be kept now, asked of the store once a turn without
        storing anything (:meth:`CheckInStore.check_writable`); a failure is logged."""
        if self.store is None or self._user_id is None:
            return False
        if self._writable is None:
            try:
                self._key_for_write()
                self.store.check_writable()
                self._writable = True
            except StoreError as exc:
                log.error(
                    "the check-in store cannot be written now (request id %s): %s",
                    self.request_id,
                    exc,
                )
                self._writable = False
        return self._writable

    def _key_for_write(self) -> str:
        key = self.key
        assert key is not None  # (the callers checked for a store and a user)
        return key

    def stop_remembering(self) -> bool:
        """Delete the runner's check-ins and keep their refusal, so they are not asked
        again; whether there were check-ins. A record that cannot be read is deleted first.

        Raises :class:`StoreError` (logged) when the store cannot do it.
        """
        if self.store is None or self._user_id is None:
            return False
        record = self.recall()
        had = bool(record.checkins) or self.unreadable
        try:
            key = self._key_for_write()
            try:
                self.store.set_consent(key, Consent.NO, self.today)
            except CorruptRecordError:
                self.store.delete(key)
                self.store.set_consent(key, Consent.NO, self.today)
        except StoreError as exc:
            log.error(
                "could not stop remembering check-ins (request id %s): %s", self.request_id, exc
            )
            raise
        self._record = None
        self.problem = None
        log.info("stopped remembering check-ins (request id %s)", self.request_id)
        return had

    def forget(self) -> bool:
        """Delete everything kept for the runner; whether there was anything.

        Raises :class:`StoreError` (logged) when the store cannot delete it.
        """
        if self.store is None or self._user_id is None:
            return False
        try:
            deleted = self.store.delete(self._key_for_write())
        except StoreError as exc:
            log.error("could not delete stored check-ins (request id %s): %s", self.request_id, exc)
            raise
        self._record = Record()
        self.problem = None
        log.info("stored check-ins deleted (request id %s)", self.request_id)
        return deleted


class MemoryInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    """Gives each request a :class:`Memory` over the skill's store."""

    def __init__(self, store: CheckInStore | None) -> None:
        self.store = store

    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes[ATTRIBUTE] = Memory(
            self.store, handler_input.request_envelope
        )


def memory_of(handler_input: HandlerInput) -> Memory:
    """The request's :class:`Memory` (one without a store when no interceptor made one)."""
    attrs = handler_input.attributes_manager.request_attributes
    memory = attrs.get(ATTRIBUTE)
    if not isinstance(memory, Memory):
        memory = attrs[ATTRIBUTE] = Memory(None, handler_input.request_envelope)
    return memory
