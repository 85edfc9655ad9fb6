"""A next-day check-in reminder: when it rings, what to say about it, and creating it.

Issue 17's offer ("Would you like a reminder tomorrow at 7 PM to check in on your legs?")
must name the time it will set. :func:`plan_reminder` works that time out for a request:
the device's time zone from the Alexa Settings API (:func:`device_time_zone`), then
:func:`reminder_time`, a pure function:

* **the same local time tomorrow**, rounded to the nearest quarter hour (:data:`ROUND_MINUTES`:
  "7 PM" or "7:15 PM", never "7:08 PM"), on the day after the request's local date;
* **moved into waking hours**, :data:`WAKING_HOURS`, 08:00 to 21:00: a time before 08:00 rings
  at 08:00 and one after 21:00 at 21:00, on that same next day. A reminder barges in on
  whatever the household is doing, so it never rings at night; a runner back from a late run
  at 23:30 hears it at 9 PM the next evening, one out at 5:45 AM at 8 AM the next morning.
  No zone of the time zone database changes its clocks inside those hours (checked for 2026
  to 2028: Easter Island's autumn change repeats 21:00 to 22:00, so one evening a year 21:00
  comes twice there), so the time always exists on the wall clock.
* **When the time zone is unknown** (the Settings API failed, or named a zone this machine's
  time zone database lacks), the reminder is a day from now (:data:`RELATIVE_DELAY`) and
  :attr:`ReminderTime.clock` is None: the words say "this time tomorrow", not a clock time.

The plan (:class:`ReminderTime`) is JSON-able (:meth:`ReminderTime.as_json`), so the time
offered in one request is the time set in a later one (a yes, or the ``Connections.Response``
of the voice consent, which comes without a session). :func:`create_reminder` then creates it
through ask-sdk-core's ``ReminderManagementServiceClient``, on the skill's own API client
(:mod:`skill.alexa_api`): ``SCHEDULED_ABSOLUTE`` at the naive local time with the zone's id, or
``SCHEDULED_RELATIVE`` with the offset, the words given in the request's locale, a push
notification, and the request's time. It never raises for what the API does: it returns
:class:`ReminderCreated` or :class:`ReminderFailed` with one :class:`ReminderFailure` kind,
each logged in one line with the request id, so the dialogue can say one clear sentence.

Words are the locale's (``skill/data/locales``), never this module's: the text and SSML of the
reminder are passed in, and :meth:`LocalClock.words` fills the locale's clock patterns.

This module is for the turns that offer or set a reminder: import it there, not at the top
of a module every request loads (``zoneinfo`` and the SDK's reminder models come with it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_model.services import ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

from skill.alexa_api import endpoint_name, may_carry_token
from skill.errors import (
    AlexaApiNotConfiguredError,
    AlexaApiTimeoutError,
    AlexaApiUnreachableError,
    InsecureEndpointError,
)
from skill.limits import one_line
from skill.strings import DEFAULT_LOCALE

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model.services import ServiceClientFactory

log = logging.getLogger("legcheck.reminders")

REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"
"""The permission a skill needs to create reminders, declared in the skill manifest and asked
for by voice."""
WAKING_HOURS = (time(8, 0), time(21, 0))
"""The earliest and the latest local time a reminder rings (see the module's text)."""
ROUND_MINUTES = 15
"""A reminder's local time is rounded to the nearest this many minutes."""
RELATIVE_DELAY = timedelta(days=1)
"""How long after the request a reminder rings when the device's time zone is unknown."""
CLOCK_PATTERNS = ("on_the_hour", "with_minutes", "am", "pm")
"""The keys :meth:`LocalClock.words` reads from the locale's clock patterns."""


class ReminderFailure(Enum):
    """Why a reminder was not created: one clear sentence each. The values are stable, for
    locale keys and logs."""

    PERMISSION = "permission"
    """401 or 403: the runner has not granted the reminders permission, or revoked it."""
    THROTTLED = "throttled"
    """429: the skill made too many calls; a later try may work."""
    SERVICE_DOWN = "service_down"
    """5xx, or the API could not be reached: Alexa's side is down for now."""
    TIMEOUT = "timeout"
    """No answer within the API client's timeout."""
    MALFORMED = "malformed"
    """A success status whose answer holds no reminder (not JSON, or no ``alertToken``)."""
    REJECTED = "rejected"
    """Any other status (400, 404, a redirect): the API refused the request itself."""
    NOT_HTTPS = "not_https"
    """The request's ``apiEndpoint`` is neither https nor loopback http: nothing was sent."""


@dataclass(frozen=True)
class LocalClock:
    """A local wall-clock time, 24-hour, for the words of a reminder's time."""

    hour: int
    minute: int

    def words(self, patterns: Mapping[str, str]) -> str:
        """The time in the locale's words.

        ``patterns`` holds the keys of :data:`CLOCK_PATTERNS`: ``on_the_hour`` (for minute 0)
        or ``with_minutes``, filled with ``{hour}`` (1 to 12), ``{hour24}`` (0 to 23),
        ``{minute}`` (two digits) and ``{period}``, the ``am`` or ``pm`` pattern. With
        ``{"on_the_hour": "{hour} {period}", "with_minutes": "{hour}:{minute} {period}",
        "am": "AM", "pm": "PM"}``: 19:00 is "7 PM", 8:15 is "8:15 AM", 12:30 is "12:30 PM".
        """
        pattern = patterns["on_the_hour" if self.minute == 0 else "with_minutes"]
        return pattern.format(
            hour=(self.hour - 1) % 12 + 1,
            hour24=self.hour,
            minute=f"{self.minute:02d}",
            period=patterns["pm" if self.hour >= 12 else "am"],
        )


@dataclass(frozen=True)
class ReminderTime:
    """When a reminder rings: at a naive local time in a named zone (``scheduled`` and
    ``time_zone``), or ``offset_seconds`` after the request when the zone is unknown.

    Build it with :func:`reminder_time`, :meth:`at` or :meth:`after`; exactly one of the two
    forms is set.
    """

    scheduled: datetime | None = None
    """The local wall-clock time, naive, as the Reminders API takes it."""
    time_zone: str | None = None
    """The IANA time zone id the device is set to (``America/New_York``)."""
    offset_seconds: int | None = None
    """Seconds after the request, for ``SCHEDULED_RELATIVE``."""

    def __post_init__(self) -> None:
        naive = self.scheduled is not None and self.scheduled.tzinfo is None
        absolute = naive and bool(self.time_zone) and self.offset_seconds is None
        relative = self.scheduled is None and self.time_zone is None
        relative = relative and self.offset_seconds is not None and self.offset_seconds > 0
        if not (absolute or relative):
            raise ValueError(
                "expected a naive local time with a time zone, or a positive offset; "
                f"got {self.scheduled!r}, {self.time_zone!r}, {self.offset_seconds!r}"
            )

    @classmethod
    def at(cls, scheduled: datetime, time_zone: str) -> ReminderTime:
        return cls(scheduled=scheduled, time_zone=time_zone)

    @classmethod
    def after(cls, delay: timedelta = RELATIVE_DELAY) -> ReminderTime:
        return cls(offset_seconds=int(delay.total_seconds()))

    @property
    def absolute(self) -> bool:
        """Set at a local time in the device's zone (else relative to the request)."""
        return self.scheduled is not None

    @property
    def clock(self) -> LocalClock | None:
        """The local time it rings, for the words; None when only the offset is known."""
        if self.scheduled is None:
            return None
        return LocalClock(self.scheduled.hour, self.scheduled.minute)

    @property
    def local_iso(self) -> str | None:
        """The naive local time as the Reminders API takes it (``2026-11-25T19:00:00``: no
        zone suffix, which it refuses); None for a relative reminder."""
        return None if self.scheduled is None else self.scheduled.isoformat(timespec="seconds")

    def as_json(self) -> dict[str, Any]:
        """The plan as plain JSON, for the session or the store: ``{"at": ..., "zone": ...}``
        or ``{"in": seconds}``; :meth:`from_json` reads it back."""
        if self.scheduled is not None:
            return {"at": self.local_iso, "zone": self.time_zone}
        return {"in": self.offset_seconds}

    @classmethod
    def from_json(cls, data: object) -> ReminderTime | None:
        """The plan :meth:`as_json` wrote; None for anything else (state from an older
        version, or tampered with)."""
        if not isinstance(data, dict):
            return None
        try:
            if set(data) == {"at", "zone"}:
                return cls.at(datetime.fromisoformat(data["at"]), data["zone"])
            if set(data) == {"in"} and type(data["in"]) is int:
                return cls(offset_seconds=data["in"])
        except (TypeError, ValueError):
            return None
        return None


@dataclass(frozen=True)
class ReminderCreated:
    """The reminder was created: ``when`` it rings, and Alexa's id for it."""

    when: ReminderTime
    alert_token: str


@dataclass(frozen=True)
class ReminderFailed:
    """The reminder was not created, and why (``status``: the HTTP status, if one came)."""

    kind: ReminderFailure
    status: int | None = None


ReminderOutcome = ReminderCreated | ReminderFailed


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def reminder_time(now: datetime, zone: ZoneInfo | None) -> ReminderTime:
    """When a reminder offered at ``now`` (aware) rings, for a device in ``zone`` (None:
    unknown). See the module's text for the rule."""
    if now.utcoffset() is None:
        raise ValueError(f"expected an aware request time, got {now.isoformat()}")
    if zone is None:
        return ReminderTime.after(RELATIVE_DELAY)
    local = now.astimezone(zone)
    minutes = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    rounded = ROUND_MINUTES * math.floor(minutes / ROUND_MINUTES + 0.5)
    earliest, latest = (_minutes(t) for t in WAKING_HOURS)
    ringing = min(max(rounded, earliest), latest)
    day = local.date() + timedelta(days=1)
    return ReminderTime.at(datetime.combine(day, time(ringing // 60, ringing % 60)), zone.key)


def request_time(handler_input: HandlerInput) -> datetime:
    """The request's timestamp (aware, UTC); now where the request has none."""
    stamp = handler_input.request_envelope.request.timestamp
    if not isinstance(stamp, datetime):
        return datetime.now(UTC)
    return stamp if stamp.utcoffset() is not None else stamp.replace(tzinfo=UTC)


def _request_id(handler_input: HandlerInput) -> str:
    return str(getattr(handler_input.request_envelope.request, "request_id", "") or "")


def _factory(handler_input: HandlerInput) -> ServiceClientFactory:
    """The request's service client factory; the SDK raises ValueError where it has none."""
    try:
        factory: ServiceClientFactory | None = handler_input.service_client_factory
    except ValueError as exc:
        factory = None
        reason = f": {exc}"
    else:
        reason = ""
    if factory is None:
        raise AlexaApiNotConfiguredError(
            "expected a service client factory (the skill builder given an api_client, as "
            f"skill.app.build_builder does), got none{reason}"
        )
    return factory


def device_time_zone(handler_input: HandlerInput) -> ZoneInfo | None:
    """The device's time zone from the Alexa Settings API
    (``GET /v2/devices/{deviceId}/settings/System.timeZone``); None, logged in one line,
    when it cannot be had."""
    from zoneinfo import ZoneInfo

    system = handler_input.request_envelope.context.system
    device_id = getattr(system.device, "device_id", None)
    request_id = _request_id(handler_input)
    if not device_id or not system.api_access_token or not may_carry_token(system.api_endpoint):
        log.warning(
            "time zone unknown (request id %s): no device id, access token or https endpoint "
            "(%s): a reminder rings a day later",
            request_id,
            endpoint_name(system.api_endpoint),
        )
        return None
    try:
        name = _factory(handler_input).get_ups_service().get_system_time_zone(device_id)
        return ZoneInfo(name)
    except (ServiceException, SerializationException, KeyError, ValueError, TypeError) as exc:
        status = getattr(exc, "status_code", None)
        log.warning(
            "time zone unknown (request id %s): %s, status %s: %s: a reminder rings a day later",
            request_id,
            type(exc).__name__,
            status or "none",
            one_line(str(exc)),
        )
        return None


def plan_reminder(handler_input: HandlerInput) -> ReminderTime:
    """When a reminder offered in this request rings: :func:`reminder_time` for the request's
    time and the device's time zone (one Settings API call)."""
    return reminder_time(request_time(handler_input), device_time_zone(handler_input))


def failure_of(exc: BaseException) -> ReminderFailed:
    """The failure an exception from the SDK's service client stands for."""
    cause = exc.__context__
    if isinstance(exc, InsecureEndpointError) or isinstance(cause, InsecureEndpointError):
        return ReminderFailed(ReminderFailure.NOT_HTTPS)
    if isinstance(cause, AlexaApiTimeoutError):
        return ReminderFailed(ReminderFailure.TIMEOUT)
    if isinstance(cause, AlexaApiUnreachableError):
        return ReminderFailed(ReminderFailure.SERVICE_DOWN)
    if not isinstance(exc, ServiceException):
        return ReminderFailed(ReminderFailure.MALFORMED)
    status = exc.status_code if isinstance(exc.status_code, int) else None
    if status in (401, 403):
        kind = ReminderFailure.PERMISSION
    elif status == 429:
        kind = ReminderFailure.THROTTLED
    elif status is not None and 500 <= status <= 599:
        kind = ReminderFailure.SERVICE_DOWN
    else:
        kind = ReminderFailure.REJECTED
    return ReminderFailed(kind, status)


def _failed(request_id: str, failure: ReminderFailed, detail: str) -> ReminderFailed:
    log.warning(
        "reminder not created (request id %s): %s, status %s: %s",
        request_id,
        failure.kind.value,
        failure.status or "none",
        one_line(detail),
    )
    return failure


def reminder_request(
    when: ReminderTime, now: datetime, locale: str, text: str, ssml: str
) -> ReminderRequest:
    """The SDK's request body: the trigger, the words in ``locale``, a push notification, and
    ``now`` as the request time (naive UTC, to the second, as Amazon's examples write it)."""
    if when.scheduled is not None:
        trigger = Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=when.scheduled,
            time_zone_id=when.time_zone,
        )
    else:
        trigger = Trigger(
            object_type=TriggerType.SCHEDULED_RELATIVE, offset_in_seconds=when.offset_seconds
        )
    return ReminderRequest(
        request_time=now.astimezone(UTC).replace(tzinfo=None, microsecond=0),
        trigger=trigger,
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text, ssml=ssml)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def create_reminder(
    handler_input: HandlerInput, text: str, ssml: str, when: ReminderTime | None = None
) -> ReminderOutcome:
    """Create the reminder: ``POST {apiEndpoint}/v1/alerts/reminders``.

    ``text`` and ``ssml`` are what Alexa says and shows, in the request's locale (the
    locale's words, with no symptom in them: others may hear it). ``when`` is the plan
    offered earlier (:func:`plan_reminder`), or None to plan it now. Returns
    :class:`ReminderCreated`, or :class:`ReminderFailed` with its kind, logged in one line
    with the request id; raises only :class:`~skill.errors.AlexaApiNotConfiguredError`, for a
    skill built without an API client.
    """
    envelope = handler_input.request_envelope
    system = envelope.context.system
    request_id = _request_id(handler_input)
    if not may_carry_token(system.api_endpoint):
        return _failed(
            request_id,
            ReminderFailed(ReminderFailure.NOT_HTTPS),
            f"the API endpoint is {endpoint_name(system.api_endpoint)}: nothing was sent",
        )
    if not system.api_access_token:
        return _failed(
            request_id,
            ReminderFailed(ReminderFailure.PERMISSION),
            "the request carries no API access token",
        )
    factory = _factory(handler_input)
    if when is None:
        when = plan_reminder(handler_input)
    locale = envelope.request.locale or DEFAULT_LOCALE
    body = reminder_request(when, request_time(handler_input), locale, text, ssml)
    try:
        answer = factory.get_reminder_management_service().create_reminder(body)
    except (ServiceException, SerializationException, ValueError, TypeError) as exc:
        return _failed(request_id, failure_of(exc), f"{type(exc).__name__}: {exc}")
    token = getattr(answer, "alert_token", None)
    if not isinstance(token, str) or not token:
        return _failed(
            request_id,
            ReminderFailed(ReminderFailure.MALFORMED),
            "a success status without an alertToken",
        )
    log.info(
        "reminder created (request id %s): %s",
        request_id,
        f"{when.local_iso} {when.time_zone}" if when.absolute else f"in {when.offset_seconds} s",
    )
    return ReminderCreated(when, token)
