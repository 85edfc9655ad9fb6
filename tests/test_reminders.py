"""The next-day check-in reminder (skill.reminders): when it rings, and the request Alexa's
Reminders API gets, against a fake Reminders and Settings API served on loopback.

The fake (tests/support/fake_alexa_api.py) is a real HTTP server: what it records is what
Alexa would receive, built by the SDK's ReminderManagementServiceClient and UpsServiceClient
over the skill's own API client, from an envelope as Alexa sends it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ask_sdk_core.handler_input import HandlerInput
from hypothesis import given
from hypothesis import strategies as st

from skill.alexa_api import AlexaApiClient
from skill.app import build_skill, read_event
from skill.errors import AlexaApiNotConfiguredError
from skill.reminders import (
    CLOCK_PATTERNS,
    REMINDERS_SCOPE,
    LocalClock,
    ReminderCreated,
    ReminderFailed,
    ReminderFailure,
    ReminderTime,
    create_reminder,
    plan_reminder,
    reminder_time,
)
from skill.tools.envelopes import Session
from skill.tools.paths import REPO_ROOT
from tests.support.fake_alexa_api import (
    ALERT_TOKEN,
    REMINDERS_PATH,
    Answer,
    FakeAlexaApi,
    created,
    error,
    handler_input_for,
    resolving_to_loopback,
    time_zone,
)
from tests.support.fresh import run_python
from tests.support.serve import free_port

TEXT = "Time to check in on your legs: say, Alexa, open leg check."
SSML = "<speak>Time to check in on your legs: say, Alexa, open leg check.</speak>"
EVENING = datetime(2026, 11, 24, 0, 7, 12, tzinfo=UTC)
"""7:07 PM on 23 November in New York (UTC-5): the runner is back from an evening run."""
A_DAY = 24 * 60 * 60
LOGGER = "legcheck.reminders"
US_CLOCK = {
    "on_the_hour": "{hour} {period}",
    "with_minutes": "{hour}:{minute} {period}",
    "am": "AM",
    "pm": "PM",
}
"""Clock patterns as a locale would give them (the words are the locale's, not the code's)."""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ------------------------------------------------------------------ when it rings


@pytest.mark.parametrize(
    "now,zone,rings",
    [
        # the same local time tomorrow, to the nearest quarter hour
        (EVENING, "America/New_York", "2026-11-24T19:00:00"),
        ("2026-11-24T00:08:00", "America/New_York", "2026-11-24T19:15:00"),
        ("2026-11-24T00:22:29", "America/New_York", "2026-11-24T19:15:00"),
        ("2026-11-24T00:22:30", "America/New_York", "2026-11-24T19:30:00"),
        ("2026-11-24T09:52:00", "Europe/London", "2026-11-25T09:45:00"),
        ("2026-11-24T12:00:00", "Europe/London", "2026-11-25T12:00:00"),
        # at night: moved into waking hours on the next day, 08:00 to 21:00
        ("2026-11-24T04:30:00", "America/New_York", "2026-11-24T21:00:00"),  # 23:30
        ("2026-11-24T05:30:00", "America/New_York", "2026-11-25T08:00:00"),  # 00:30
        ("2026-11-24T10:45:00", "America/New_York", "2026-11-25T08:00:00"),  # 5:45 AM
        ("2026-11-24T02:05:00", "America/New_York", "2026-11-24T21:00:00"),  # 21:05
        ("2026-11-24T01:55:00", "America/New_York", "2026-11-24T21:00:00"),  # 20:55
        # the local date, not UTC's: 7 AM on the 25th in Sydney is 8 PM on the 24th in UTC
        ("2026-11-24T20:00:00", "Australia/Sydney", "2026-11-26T08:00:00"),
        ("2026-11-24T08:00:00", "Asia/Kolkata", "2026-11-25T13:30:00"),
        ("2026-11-24T08:00:00", "Asia/Kathmandu", "2026-11-25T13:45:00"),
        # the clocks change overnight: the same wall-clock time, 23 or 25 hours later
        ("2026-03-07T23:00:00", "America/New_York", "2026-03-08T18:00:00"),
        ("2026-10-31T22:00:00", "America/New_York", "2026-11-01T18:00:00"),
    ],
)
def test_it_rings_at_the_same_local_time_tomorrow_in_waking_hours(
    now: datetime | str, zone: str, rings: str
) -> None:
    moment = utc(now) if isinstance(now, str) else now
    when = reminder_time(moment, ZoneInfo(zone))
    assert when.absolute
    assert (when.local_iso, when.time_zone) == (rings, zone)


ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Nuuk",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Easter",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]


@given(
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    zone=st.sampled_from(ZONES),
)
def test_it_always_rings_the_next_local_day_on_a_quarter_hour_that_exists(
    now: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    moment = now.replace(tzinfo=UTC)
    when = reminder_time(moment, tz)
    assert when.scheduled is not None
    local = moment.astimezone(tz)
    assert when.scheduled.date() == local.date() + timedelta(days=1)
    assert "08:00" <= when.scheduled.strftime("%H:%M") <= "21:00"
    assert when.scheduled.minute % 15 == 0 and when.scheduled.second == 0
    # the wall-clock time exists that day (no clock change skips it)
    ringing = when.scheduled.replace(tzinfo=tz)
    assert ringing.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == when.scheduled
    assert timedelta(hours=8) < ringing - moment < timedelta(hours=40)


def test_with_no_time_zone_it_rings_a_day_later_and_names_no_clock_time() -> None:
    when = reminder_time(EVENING, None)
    assert (when.absolute, when.offset_seconds, when.clock, when.local_iso) == (
        False,
        A_DAY,
        None,
        None,
    )


def test_a_request_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="expected an aware request time"):
        reminder_time(datetime(2026, 11, 24, 19, 0), ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    "hour,minute,said",
    [
        (19, 0, "7 PM"),
        (8, 15, "8:15 AM"),
        (12, 0, "12 PM"),
        (12, 30, "12:30 PM"),
        (0, 45, "12:45 AM"),
    ],
)
def test_the_clock_time_is_said_in_the_locales_pattern(hour: int, minute: int, said: str) -> None:
    assert set(US_CLOCK) == set(CLOCK_PATTERNS)
    assert LocalClock(hour, minute).words(US_CLOCK) == said


def test_a_24_hour_locale_can_say_it_its_own_way() -> None:
    clock = {
        "on_the_hour": "{hour24}:{minute}",
        "with_minutes": "{hour24}:{minute}",
        "am": "",
        "pm": "",
    }
    assert LocalClock(19, 0).words(clock) == "19:00"


def test_the_plan_offered_is_kept_as_json_and_read_back_the_same() -> None:
    for when in (reminder_time(EVENING, ZoneInfo("Europe/London")), reminder_time(EVENING, None)):
        kept = json.loads(json.dumps(when.as_json()))
        assert ReminderTime.from_json(kept) == when
    assert reminder_time(EVENING, ZoneInfo("America/New_York")).as_json() == {
        "at": "2026-11-24T19:00:00",
        "zone": "America/New_York",
    }


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "2026-11-24T19:00:00",
        {"at": "2026-11-24T19:00:00"},
        {"at": "2026-11-24T19:00:00+00:00", "zone": "UTC"},
        {"at": "tomorrow", "zone": "UTC"},
        {"at": "2026-11-24T19:00:00", "zone": ""},
        {"in": "86400"},
        {"in": -5},
        {"in": True},
        {"in": A_DAY, "at": "2026-11-24T19:00:00", "zone": "UTC"},
    ],
)
def test_a_plan_that_is_not_one_is_read_as_none(junk: Any) -> None:
    assert ReminderTime.from_json(junk) is None


# ------------------------------------------------------------------ the request Alexa gets


def session(fake: FakeAlexaApi, locale: str = "en-US", **kwargs: Any) -> Session:
    return Session(
        locale=locale,
        api_endpoint=fake.url,
        api_access_token="token-for-the-fake",
        scopes={REMINDERS_SCOPE: "GRANTED"},
        **kwargs,
    )


def make_reminder(
    fake: FakeAlexaApi,
    locale: str = "en-US",
    now: datetime = EVENING,
    when: ReminderTime | None = None,
    client: AlexaApiClient | None = None,
    **kwargs: Any,
) -> tuple[Session, dict[str, Any], Any]:
    """Create a reminder in an IntentRequest (the yes to the offer): the session, the
    envelope and the outcome."""
    talk = session(fake, locale, **kwargs)
    envelope = talk.intent("AMAZON.YesIntent", now=now)
    handler_input = handler_input_for(envelope, client or AlexaApiClient(timeout=1.0))
    return talk, envelope, create_reminder(handler_input, TEXT, SSML, when)


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_the_reminder_request_is_the_one_alexas_documentation_describes(locale: str) -> None:
    with FakeAlexaApi(zone="America/New_York") as fake:
        talk, envelope, outcome = make_reminder(fake, locale)
    assert outcome == ReminderCreated(
        ReminderTime.at(datetime(2026, 11, 24, 19, 0), "America/New_York"), ALERT_TOKEN
    )
    zone_call, reminder_call = fake.requests
    assert (zone_call.method, zone_call.path) == (
        "GET",
        f"/v2/devices/{talk.device_id}/settings/System.timeZone",
    )
    assert (reminder_call.method, reminder_call.path) == ("POST", REMINDERS_PATH)
    for sent in (zone_call, reminder_call):
        assert sent.headers["authorization"] == "Bearer token-for-the-fake"
    assert reminder_call.headers["content-type"] == "application/json"
    assert reminder_call.json() == {
        "requestTime": "2026-11-24T00:07:12",
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2026-11-24T19:00:00",
            "timeZoneId": "America/New_York",
        },
        "alertInfo": {"spokenInfo": {"content": [{"locale": locale, "text": TEXT, "ssml": SSML}]}},
        "pushNotification": {"status": "ENABLED"},
    }
    assert envelope["request"]["timestamp"] == "2026-11-24T00:07:12Z"


def test_the_device_id_is_escaped_in_the_settings_path() -> None:
    with FakeAlexaApi() as fake:
        make_reminder(fake, device_id="amzn1.ask.device.A/B C")
    assert (
        fake.requests[0].path == "/v2/devices/amzn1.ask.device.A%2FB%20C/settings/System.timeZone"
    )


def test_a_plan_made_when_offering_is_the_time_set_with_no_second_settings_call() -> None:
    with FakeAlexaApi(zone="Europe/London") as fake:
        offer = handler_input_for(
            session(fake).intent("AMAZON.YesIntent", now=EVENING), AlexaApiClient()
        )
        planned = plan_reminder(offer)  # 00:07 in London: moved to 8 AM
        assert planned.clock is not None and planned.clock.words(US_CLOCK) == "8 AM"
        del fake.requests[:]
        _, _, outcome = make_reminder(fake, now=EVENING + timedelta(minutes=3), when=planned)
    assert outcome == ReminderCreated(planned, ALERT_TOKEN)
    assert fake.paths() == [f"POST {REMINDERS_PATH}"]
    assert fake.requests[0].json()["trigger"]["scheduledTime"] == planned.local_iso


@pytest.mark.parametrize(
    "settings",
    [
        error(500, "INTERNAL_ERROR"),
        error(403, "FORBIDDEN"),
        error(401, "UNAUTHORIZED"),
        error(429, "TOO_MANY_REQUESTS"),
        Answer(200, "not json"),
        time_zone("Mars/Olympus_Mons"),
        time_zone("../../etc/passwd"),
        Answer(204, ""),
    ],
)
def test_when_the_settings_api_fails_the_reminder_is_set_a_day_from_now(
    settings: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, LOGGER), FakeAlexaApi(time_zone=settings) as fake:
        _, envelope, outcome = make_reminder(fake)
    assert outcome == ReminderCreated(ReminderTime.after(timedelta(days=1)), ALERT_TOKEN)
    assert isinstance(outcome, ReminderCreated)
    assert outcome.when.clock is None  # the words say "this time tomorrow", not a clock time
    sent = fake.requests[-1].json()
    assert sent["trigger"] == {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": A_DAY}
    (line,) = [r.getMessage() for r in caplog.records]
    assert "time zone unknown" in line and envelope["request"]["requestId"] in line
    assert "\n" not in line and "token-for-the-fake" not in line


@pytest.mark.parametrize(
    "answer,kind,status",
    [
        (error(401, "UNAUTHORIZED"), ReminderFailure.PERMISSION, 401),
        (Answer(401, ""), ReminderFailure.PERMISSION, 401),
        (error(403, "FORBIDDEN"), ReminderFailure.PERMISSION, 403),
        (Answer(403, "<html>Forbidden</html>"), ReminderFailure.PERMISSION, 403),
        (error(429, "TOO_MANY_REQUESTS"), ReminderFailure.THROTTLED, 429),
        (error(500, "INTERNAL_SERVER_ERROR"), ReminderFailure.SERVICE_DOWN, 500),
        (error(503, "SERVICE_UNAVAILABLE"), ReminderFailure.SERVICE_DOWN, 503),
        (Answer(504, "upstream timed out"), ReminderFailure.SERVICE_DOWN, 504),
        (error(400, "INVALID_TRIGGER"), ReminderFailure.REJECTED, 400),
        (error(404, "NOT_FOUND"), ReminderFailure.REJECTED, 404),
        (
            Answer(302, "", headers=(("Location", "{url}/elsewhere"),)),
            ReminderFailure.REJECTED,
            302,
        ),
        (Answer(201, "{not json"), ReminderFailure.MALFORMED, None),
        (Answer(201, "{}"), ReminderFailure.MALFORMED, None),
        (Answer(201, '["a list"]'), ReminderFailure.MALFORMED, None),
        (Answer(201, ""), ReminderFailure.MALFORMED, None),
        (Answer(200, json.dumps({"alertToken": ""})), ReminderFailure.MALFORMED, None),
    ],
)
def test_each_failure_is_one_kind_logged_in_one_line_with_the_request_id(
    answer: Answer,
    kind: ReminderFailure,
    status: int | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, LOGGER), FakeAlexaApi(reminders=answer) as fake:
        _, envelope, outcome = make_reminder(fake)
    assert outcome == ReminderFailed(kind, status)
    assert fake.paths()[-1] == f"POST {REMINDERS_PATH}"  # no redirect was followed
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"reminder not created (request id {envelope['request']['requestId']})")
    assert kind.value in line
    assert "\n" not in line and "token-for-the-fake" not in line


@pytest.mark.slow  # waits out the client's timeout, twice
def test_an_api_slower_than_the_timeout_is_a_timeout(caplog: pytest.LogCaptureFixture) -> None:
    slow = Answer(201, created().body, delay=5)
    slow_zone = Answer(200, '"UTC"', delay=5)
    with (
        caplog.at_level(logging.WARNING, LOGGER),
        FakeAlexaApi(reminders=slow, time_zone=slow_zone) as fake,
    ):
        _, envelope, outcome = make_reminder(fake, client=AlexaApiClient(timeout=0.3))
    request_id = envelope["request"]["requestId"]
    assert outcome == ReminderFailed(ReminderFailure.TIMEOUT)
    settings, reminder = (r.getMessage() for r in caplog.records)
    assert settings.startswith(f"time zone unknown (request id {request_id})")
    assert reminder.startswith(f"reminder not created (request id {request_id}): timeout")


def test_an_api_that_cannot_be_reached_is_down() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    talk = Session(api_endpoint=endpoint, api_access_token="t")
    handler_input = handler_input_for(
        talk.intent("AMAZON.YesIntent", now=EVENING), AlexaApiClient()
    )
    assert create_reminder(handler_input, TEXT, SSML) == ReminderFailed(
        ReminderFailure.SERVICE_DOWN
    )


def test_the_token_is_never_sent_to_an_endpoint_neither_https_nor_loopback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The endpoint's host resolves to the fake: anything sent would be recorded there."""
    with FakeAlexaApi() as fake, resolving_to_loopback(monkeypatch, "api.example"):
        talk = Session(api_endpoint=f"http://api.example:{fake.port}", api_access_token="t0k3n")
        handler_input = handler_input_for(talk.intent("AMAZON.YesIntent"), AlexaApiClient())
        with caplog.at_level(logging.WARNING, LOGGER):
            outcome = create_reminder(handler_input, TEXT, SSML)
            planned = plan_reminder(handler_input)
    assert outcome == ReminderFailed(ReminderFailure.NOT_HTTPS)
    assert planned == ReminderTime.after()
    assert fake.requests == []
    assert all("t0k3n" not in r.getMessage() for r in caplog.records)
    assert "http://api.example" in caplog.records[0].getMessage()


def test_a_request_without_an_access_token_is_a_missing_permission() -> None:
    with FakeAlexaApi() as fake:
        talk = Session(api_endpoint=fake.url, api_access_token="")
        handler_input = handler_input_for(talk.intent("AMAZON.YesIntent"), AlexaApiClient())
        assert create_reminder(handler_input, TEXT, SSML) == ReminderFailed(
            ReminderFailure.PERMISSION
        )
    assert fake.requests == []


def test_the_skill_is_built_with_the_standard_library_client() -> None:
    assert isinstance(build_skill().api_client, AlexaApiClient)


def test_a_handler_input_without_a_service_client_factory_says_why() -> None:
    """What the SDK builds for a skill given no api_client (skill.app always gives one)."""
    envelope = read_event(Session().intent("AMAZON.YesIntent"), build_skill())
    bare = HandlerInput(request_envelope=envelope, service_client_factory=None)
    with pytest.raises(AlexaApiNotConfiguredError, match="api_client"):
        create_reminder(bare, TEXT, SSML)


# ------------------------------------------------------------------ what it imports

CREATE_IN_A_FRESH_PROCESS = """
import json, sys
from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from skill.app import build_builder, handle_event
from skill.reminders import create_reminder
from skill.serializer import LegCheckSerializer

outcomes = []

class Create(AbstractRequestInterceptor):
    def process(self, handler_input):
        outcomes.append(create_reminder(handler_input, "text", "<speak>text</speak>"))

builder = build_builder(None)
builder.add_global_request_interceptor(Create())
skill = builder.create()
skill.serializer = LegCheckSerializer()
handle_event(json.loads(sys.argv[1]), skill=skill)
print(json.dumps({"created": type(outcomes[0]).__name__, "modules": sorted(sys.modules)}))
"""


@pytest.mark.slow  # a fresh process
def test_creating_a_reminder_imports_neither_requests_nor_urllib3() -> None:
    """The Lambda zip has neither: the reminder path must not need them (nor the SDK's
    DefaultApiClient, whose module imports requests)."""
    with FakeAlexaApi() as fake:
        envelope = session(fake).intent("AMAZON.YesIntent", now=EVENING)
        out = run_python(CREATE_IN_A_FRESH_PROCESS, json.dumps(envelope), cwd=REPO_ROOT)
    assert out["created"] == "ReminderCreated"
    assert fake.paths()[-1] == f"POST {REMINDERS_PATH}"
    for name in ("requests", "urllib3", "ask_sdk_core.api_client", "certifi"):
        assert [m for m in out["modules"] if m == name or m.startswith(name + ".")] == []
