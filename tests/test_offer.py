"""The next-day reminder offered after the advice (issue 17): when it is offered and when never,
the request Alexa's Reminders API receives, the permission asked for by voice both ways, and
one clear sentence for every way it can fail.

The skill is the real one (``build_skill(store, reminders=True)``), answering envelopes as
Alexa sends them, resolved from the runner's words by the interaction model; Alexa's Reminders
and Settings APIs are the fake in ``tests/support/fake_alexa_api.py``, a real HTTP server on
loopback that records every request it gets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.app import build_skill, default_skill, handle_event
from skill.dialogue import reminder_said
from skill.errors import ConfigError
from skill.reminders import REMINDERS_SCOPE, ReminderFailed, ReminderFailure
from skill.settings import Settings, reminders_of
from skill.store import Consent, Deployment, SqliteStore
from skill.strings import LocaleStrings, strings_for
from skill.tools.envelopes import Session
from skill.tools.models import model_path
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator.conversation import speech_text
from skill.tools.simulator.nlu import InteractionModel
from tests.support.alexa_response import assert_valid_response
from tests.support.fake_alexa_api import (
    REMINDERS_PATH,
    Answer,
    FakeAlexaApi,
    created,
    error,
)
from tests.support.fresh import run_python
from tests.support.markets import locale_models
from tests.support.stores import sqlite_store

EVENING = datetime(2026, 11, 24, 0, 7, 12, tzinfo=UTC)
"""7:07 PM on 23 November in New York: the runner is back from an evening run."""
API_TOKEN = "token-for-the-fake"
ZONE_CALL = "GET /v2/devices/"
CREATE_CALL = f"POST {REMINDERS_PATH}"

TWITCHING = "ask leg check my calves are twitching"
"""A check-in that ends in self-care advice (low electrolytes) after a question or two."""


@dataclass
class Said:
    """One answer of the skill, as the runner would notice it."""

    envelope: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = self.envelope["response"]
        return body

    @property
    def speech(self) -> str:
        return speech_text(self.response.get("outputSpeech"))

    @property
    def reprompt(self) -> str:
        return speech_text((self.response.get("reprompt") or {}).get("outputSpeech"))

    @property
    def ends(self) -> bool | None:
        value = self.response.get("shouldEndSession")
        return None if value is None else bool(value)

    @property
    def ask_for(self) -> dict[str, Any] | None:
        for directive in self.response.get("directives") or []:
            if directive.get("type") == "Connections.SendRequest":
                found: dict[str, Any] = directive
                return found
        return None

    @property
    def card(self) -> dict[str, Any]:
        card: dict[str, Any] = self.response.get("card") or {}
        return card


@dataclass
class Runner:
    """A runner and their Echo: the same user and device in every session, a clock that
    moves on, and the reminders permission granted or not."""

    fake: FakeAlexaApi
    store: SqliteStore | None
    locale: str = "en-US"
    granted: bool = False
    reminders: bool = True
    endpoint: str | None = None
    now: datetime = EVENING
    user_id: str = field(default_factory=lambda: Session().user_id)
    device_id: str = field(default_factory=lambda: Session().device_id)
    session: Session | None = None

    def __post_init__(self) -> None:
        self.skill = build_skill(self.store, reminders=self.reminders)
        self.model = InteractionModel.load(model_path(self.locale))

    @property
    def words(self) -> LocaleStrings:
        return strings_for(self.locale)

    def _new_session(self) -> Session:
        return Session(
            user_id=self.user_id,
            device_id=self.device_id,
            locale=self.locale,
            api_endpoint=self.endpoint or self.fake.url,
            api_access_token=API_TOKEN,
            scopes={REMINDERS_SCOPE: "GRANTED" if self.granted else "DENIED"},
        )

    def _answer(self, envelope: dict[str, Any]) -> Said:
        return Said(assert_valid_response(handle_event(envelope, None, self.skill)))

    def say(self, *utterances: str) -> Said:
        """Say each in turn; the last answer."""
        said: Said | None = None
        for words in utterances:
            resolution = self.model.resolve(words, self.session is not None)
            assert resolution.request_type is not None, resolution.note
            if resolution.new_session or self.session is None:
                self.session = self._new_session()
            if resolution.request_type == "LaunchRequest":
                envelope = self.session.launch(self.now)
            else:
                assert resolution.intent is not None
                envelope = self.session.intent(
                    resolution.intent, list(resolution.slots), list(resolution.slot_names), self.now
                )
            said = self._answer(envelope)
            if not self.session.absorb(said.envelope) or said.ask_for is not None:
                self.session = None  # ended, or Alexa asks for the permission herself
        assert said is not None
        return said

    def check_in(self) -> Said:
        """Twitching calves, and no to each question: the advice (and what follows it)."""
        said = self.say(TWITCHING)
        while self.session is not None and self.session.attributes.get("pending"):
            said = self.say("no")
        return said

    def answer_permission(self, answer: str, token: str, code: str = "200") -> Said:
        """Alexa's permission question answered: a Connections.Response, no session."""
        if answer == "ACCEPTED":
            self.granted = True
        envelope = self._new_session().connections_response("AskFor", answer, token, code, self.now)
        assert "session" not in envelope
        return self._answer(envelope)

    def later(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.session = None


@pytest.fixture
def fake() -> Iterator[FakeAlexaApi]:
    with FakeAlexaApi(zone="America/New_York") as api:
        yield api


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = sqlite_store(tmp_path / "offer.sqlite3")
    yield opened
    opened.close()


def offer_words(words: LocaleStrings, clock: str = "7 {pm}") -> str:
    when = words.prompt("reminder_when_clock", time=clock.format(pm=words.clock["pm"]))
    return words.prompt("reminder_offer", when=when)


def set_words(words: LocaleStrings, clock: str = "7 {pm}") -> str:
    when = words.prompt("reminder_when_clock", time=clock.format(pm=words.clock["pm"]))
    return words.prompt("reminder_set", when=when)


def advised_and_remembered(runner: Runner) -> Said:
    """A check-in to its advice, then yes to "may I remember?": the offer."""
    advice = runner.check_in()
    assert runner.words.prompt("consent_ask", days=30) in advice.speech
    return runner.say("yes")


def token_of(said: Said) -> str:
    assert said.ask_for is not None
    return str(said.ask_for["token"])


# ------------------------------------------------------------------ the offer and the request


@pytest.mark.parametrize("locale", locale_models())
def test_the_offer_names_the_time_it_sets_and_alexa_gets_the_documented_request(
    fake: FakeAlexaApi, store: SqliteStore, locale: str
) -> None:
    runner = Runner(fake, store, locale, granted=True)
    words = runner.words
    offer = advised_and_remembered(runner)
    assert offer.speech == (f"{words.prompt('consent_yes_then', days=30)} {offer_words(words)}")
    assert offer.ends is False
    assert "Should I set a reminder tomorrow at 7" in offer.reprompt
    assert len(fake.paths()) == 1 and fake.paths()[0].startswith(ZONE_CALL)

    done = runner.say("yes")
    assert done.speech == set_words(words)
    assert done.ends is True
    assert fake.paths()[-1] == CREATE_CALL  # one Settings call at the offer, then the reminder
    assert len(fake.requests) == 2
    sent = fake.requests[-1]
    assert sent.headers["authorization"] == f"Bearer {API_TOKEN}"
    text = words.prompt("reminder_text")
    assert sent.json() == {
        "requestTime": "2026-11-24T00:07:12",
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2026-11-24T19:00:00",
            "timeZoneId": "America/New_York",
        },
        "alertInfo": {
            "spokenInfo": {
                "content": [{"locale": locale, "text": text, "ssml": f"<speak>{text}</speak>"}]
            }
        },
        "pushNotification": {"status": "ENABLED"},
    }


def test_the_reminder_says_nothing_of_the_symptoms_in_any_locale() -> None:
    for locale in locale_models():
        text = strings_for(locale).prompt("reminder_text").lower()
        assert "open leg check" in text
        for said in ("twitch", "tingl", "itch", "pain", "calves", "shins", "doctor"):
            assert said not in text, (locale, said)


def test_each_market_says_the_time_its_own_way() -> None:
    assert [offer_words(strings_for(code)).split(" at ")[1] for code in ("en-US", "en-GB")] == [
        "7 PM to check in on your legs?",
        "7 pm to check in on your legs?",
    ]
    assert "7 p.m." in offer_words(strings_for("en-CA"))


def test_with_no_time_zone_the_offer_says_this_time_tomorrow(store: SqliteStore) -> None:
    with FakeAlexaApi(time_zone=error(500)) as failing:
        runner = Runner(failing, store, granted=True)
        offer = advised_and_remembered(runner)
        words = runner.words
        when = words.prompt("reminder_when_relative")
        assert offer.speech.endswith(words.prompt("reminder_offer", when=when))
        done = runner.say("yes")
    assert done.speech == words.prompt("reminder_set", when=when)
    assert failing.requests[-1].json()["trigger"] == {
        "type": "SCHEDULED_RELATIVE",
        "offsetInSeconds": 86400,
    }


def test_a_runner_who_agreed_before_hears_the_offer_right_after_the_advice(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    store.set_consent(store.user_key(runner.user_id), Consent.YES, EVENING.date())
    advice = runner.check_in()
    assert "low electrolytes" in advice.speech
    assert advice.speech.endswith(offer_words(runner.words))
    assert runner.words.prompt("consent_ask", days=30) not in advice.speech
    assert advice.card["title"] == "Leg Check: low electrolytes"  # the advice's card is kept
    assert len(store.read(store.user_key(runner.user_id), EVENING.date())) == 1


def test_after_a_no_to_being_remembered_the_offer_still_comes(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    runner.check_in()
    refused = runner.say("no")
    words = runner.words
    assert refused.speech == f"{words.prompt('consent_no_then')} {offer_words(words)}"


def test_without_a_store_the_offer_comes_right_after_the_advice(fake: FakeAlexaApi) -> None:
    runner = Runner(fake, None)
    advice = runner.check_in()
    assert advice.speech.endswith(offer_words(runner.words))


def test_a_doctor_referral_that_can_wait_gets_the_offer(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, None)
    advice = runner.say("ask leg check my shins feel tight", "yes")
    assert "compartment syndrome" in advice.speech
    assert advice.speech.endswith(offer_words(runner.words))


# ------------------------------------------------------------------ the permission by voice


def test_yes_without_the_permission_asks_for_it_by_voice_and_accepted_sets_it(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store, "en-GB")
    advised_and_remembered(runner)
    ask = runner.say("yes")
    assert ask.ask_for is not None
    assert {k: v for k, v in ask.ask_for.items() if k != "token"} == {
        "type": "Connections.SendRequest",
        "name": "AskFor",
        "payload": {
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": REMINDERS_SCOPE,
        },
    }
    assert "outputSpeech" not in ask.response  # Alexa asks, in her own words
    assert "reprompt" not in ask.response
    assert json.loads(token_of(ask)) == {
        "v": 1,
        "when": {"at": "2026-11-24T19:00:00", "zone": "America/New_York"},
        "locale": "en-GB",
    }
    assert CREATE_CALL not in fake.paths()

    accepted = runner.answer_permission("ACCEPTED", token_of(ask))
    assert accepted.speech == set_words(runner.words)  # "tomorrow at 7 pm"
    assert accepted.ends is True
    assert fake.paths()[-1] == CREATE_CALL
    body = fake.requests[-1].json()
    assert body["trigger"]["scheduledTime"] == "2026-11-24T19:00:00"
    assert body["alertInfo"]["spokenInfo"]["content"][0]["locale"] == "en-GB"
    assert (
        "sessionAttributes" not in accepted.envelope or not accepted.envelope["sessionAttributes"]
    )


def test_denied_says_so_sends_the_card_and_is_a_no_for_a_week(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    denied = runner.answer_permission("DENIED", token_of(runner.say("yes")))
    assert denied.speech == runner.words.prompt("reminder_permission_denied")
    assert denied.card == {"type": "AskForPermissionsConsent", "permissions": [REMINDERS_SCOPE]}
    assert denied.ends is True
    assert CREATE_CALL not in fake.paths()
    runner.later(3)
    again = runner.check_in()
    assert "reminder" not in again.speech and again.ends is True


@pytest.mark.parametrize("answer,code", [("NOT_ANSWERED", "200"), ("ACCEPTED", "500")])
def test_not_answered_says_so_and_sends_the_card(
    fake: FakeAlexaApi, store: SqliteStore, answer: str, code: str
) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    unanswered = runner.answer_permission(answer, token_of(runner.say("yes")), code)
    assert unanswered.speech == runner.words.prompt("reminder_permission_not_answered")
    assert unanswered.card["type"] == "AskForPermissionsConsent"
    assert CREATE_CALL not in fake.paths()
    runner.later(1)  # not a no: offered again the next day
    runner.granted = False
    assert runner.check_in().speech.endswith(offer_words(runner.words))


@pytest.mark.parametrize("token", ["", "not json", '{"v": 9}', '{"v": 1, "when": "soon"}'])
def test_an_answer_whose_token_says_nothing_plans_the_reminder_anew(
    fake: FakeAlexaApi, store: SqliteStore, token: str
) -> None:
    runner = Runner(fake, store)
    accepted = runner.answer_permission("ACCEPTED", token)
    assert accepted.speech == set_words(runner.words)
    assert fake.paths()[0].startswith(ZONE_CALL) and fake.paths()[1] == CREATE_CALL


# ------------------------------------------------------------------ failures, in words


@pytest.mark.parametrize(
    "answer,kind",
    [
        (error(401, "UNAUTHORIZED"), ReminderFailure.PERMISSION),
        (error(403, "FORBIDDEN"), ReminderFailure.PERMISSION),
        (error(429, "TOO_MANY_REQUESTS"), ReminderFailure.THROTTLED),
        (error(500, "INTERNAL_SERVER_ERROR"), ReminderFailure.SERVICE_DOWN),
        (error(503, "SERVICE_UNAVAILABLE"), ReminderFailure.SERVICE_DOWN),
        (error(400, "INVALID_TRIGGER"), ReminderFailure.REJECTED),
        (Answer(201, "{}"), ReminderFailure.MALFORMED),
    ],
)
def test_every_failure_is_one_sentence_and_nothing_stored_is_lost(
    store: SqliteStore, answer: Answer, kind: ReminderFailure
) -> None:
    with FakeAlexaApi(reminders=answer) as failing:
        runner = Runner(failing, store, granted=True)
        advised_and_remembered(runner)
        failed = runner.say("yes")
    assert failed.speech == runner.words.prompt(f"reminder_failed_{kind.value}")
    assert failed.ends is True
    assert (failed.card.get("type") == "AskForPermissionsConsent") is (
        kind is ReminderFailure.PERMISSION
    )
    kept = store.load(store.user_key(runner.user_id), EVENING.date())
    assert (kept.consent, len(kept.checkins)) == (Consent.YES, 1)


@pytest.mark.slow  # waits out the API client's timeout
def test_a_reminders_api_that_does_not_answer_in_time_is_said(store: SqliteStore) -> None:
    with FakeAlexaApi(reminders=Answer(201, created().body, delay=5)) as slow:
        runner = Runner(slow, store, granted=True)
        advised_and_remembered(runner)
        failed = runner.say("yes")
    assert failed.speech == runner.words.prompt("reminder_failed_timeout")


@pytest.mark.parametrize("locale", locale_models())
def test_every_failure_kind_has_one_sentence_in_every_market(locale: str) -> None:
    words = strings_for(locale)
    for kind in ReminderFailure:
        said = reminder_said(words, ReminderFailed(kind)).spoken.text
        assert said and said.count(". ") == 0 and said.endswith("."), (kind, said)
        assert "reminder" in said.lower(), said


# ------------------------------------------------------------------ when it is never offered


@pytest.mark.parametrize(
    "words",
    [
        ("ask leg check my legs are tingling and my chest feels really tight",),
        (
            "ask leg check after yesterday's crossfit session my thighs are swollen and my pee "
            "looks like cola",
        ),
    ],
    ids=["emergency", "same-day referral"],
)
def test_never_after_an_emergency_or_a_same_day_referral(
    fake: FakeAlexaApi, store: SqliteStore, words: tuple[str, ...]
) -> None:
    runner = Runner(fake, store, granted=True)
    store.set_consent(store.user_key(runner.user_id), Consent.YES, EVENING.date())
    danger = runner.say(*words)
    assert "reminder" not in danger.speech.lower()
    assert danger.ends is True
    assert fake.requests == []  # not even the time zone was asked


def test_once_a_check_in_even_when_it_starts_over(fake: FakeAlexaApi, store: SqliteStore) -> None:
    runner = Runner(fake, None)
    runner.check_in()
    again = runner.say("my feet are itchy", "no", "yes")  # another complaint instead of an answer
    assert "reminder" not in again.speech.lower()
    assert again.ends is True
    assert len([p for p in fake.paths() if p.startswith(ZONE_CALL)]) == 1


def test_not_again_for_a_week_after_a_no_from_a_runner_who_is_remembered(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    no = runner.say("no")
    assert no.speech == runner.words.prompt("reminder_no")
    key = store.user_key(runner.user_id)
    assert store.load(key, EVENING.date()).reminder_declined == date(2026, 11, 24)
    for days in (1, 5):  # six days after the no
        runner.later(days)
        quiet = runner.check_in()
        assert "reminder" not in quiet.speech.lower() and quiet.ends is True
    runner.later(1)  # a week after it
    assert runner.check_in().speech.endswith(offer_words(runner.words))


def test_a_no_from_a_runner_not_remembered_lasts_the_session(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    runner.check_in()
    runner.say("no")  # not remembered
    runner.say("no")  # no reminder
    assert store.load(store.user_key(runner.user_id), EVENING.date()).reminder_declined is None
    runner.later(1)
    assert runner.check_in().speech.endswith(offer_words(runner.words))


def test_not_after_the_follow_up_it_brings_the_runner_back_for(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store, granted=True)
    advised_and_remembered(runner)
    runner.say("yes")
    runner.later(1)
    asked = runner.say("open leg check")
    assert "Is it still there?" in asked.speech
    still = runner.say("yes")
    assert "please see a doctor" in still.speech
    assert "reminder" not in still.speech.lower() and still.ends is True


def test_a_skill_that_offers_no_reminders_calls_no_api(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store, reminders=False, granted=True)
    runner.check_in()
    answer = runner.say("yes")
    assert answer.speech == runner.words.prompt("consent_yes", days=30)
    assert fake.requests == []


def test_a_request_whose_endpoint_cannot_carry_the_token_gets_no_offer(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store, endpoint="http://api.example", granted=True)
    runner.check_in()
    assert runner.say("yes").speech == runner.words.prompt("consent_yes", days=30)
    assert fake.requests == []


# ------------------------------------------------------------------ while the offer waits


def test_help_says_what_the_reminder_would_do_and_asks_again(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    helped = runner.say("help")
    words = runner.words
    when = words.prompt("reminder_when_clock", time="7 PM")
    assert helped.speech == words.prompt("reminder_help", when=when)
    assert "nothing about your symptoms" in helped.speech
    assert helped.ends is False
    assert runner.say("yes").ask_for is not None  # still the offer's yes


def test_stop_or_words_it_cannot_place_while_it_waits(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    unclear = runner.say("what is the capital of france")
    assert offer_words(runner.words) in unclear.speech and unclear.ends is False
    stopped = runner.say("stop")
    assert stopped.speech == runner.words.prompt("goodbye")
    assert CREATE_CALL not in fake.paths()


def test_a_danger_sign_said_while_it_waits_is_answered_at_once(
    fake: FakeAlexaApi, store: SqliteStore
) -> None:
    runner = Runner(fake, store, granted=True)
    advised_and_remembered(runner)
    danger = runner.say("my chest feels really tight")
    assert "Call 911 now" in danger.speech
    assert "reminder" not in danger.speech.lower() and danger.ends is True
    assert CREATE_CALL not in fake.paths()


def test_a_tampered_offer_in_the_session_is_dropped(fake: FakeAlexaApi, store: SqliteStore) -> None:
    runner = Runner(fake, store)
    advised_and_remembered(runner)
    assert runner.session is not None
    assert runner.session.attributes["reminder"] == {
        "at": "2026-11-24T19:00:00",
        "zone": "America/New_York",
    }
    runner.session.attributes["reminder"] = {"at": "2026-11-24T19:00:00+05:00", "zone": "x"}
    answer = runner.say("yes")  # no offer waits now: a yes with nothing to answer
    assert answer.ask_for is None
    assert CREATE_CALL not in fake.paths()


# ------------------------------------------------------------------ the setting


def test_legcheck_reminders_is_on_or_off_and_off_by_default() -> None:
    assert reminders_of({}) == (False, "default")
    assert reminders_of({"LEGCHECK_REMINDERS": "ON"}) == (True, "environment")
    assert reminders_of({"LEGCHECK_REMINDERS": "off"}) == (False, "environment")
    with pytest.raises(ConfigError) as refused:
        reminders_of({"LEGCHECK_REMINDERS": "yes please"})
    assert str(refused.value) == "expected LEGCHECK_REMINDERS to be on or off; got 'yes please'"
    lines = Settings.load(Deployment.LOCAL, {"LEGCHECK_DB": "off", "LEGCHECK_REMINDERS": "on"})
    assert lines.reminders is True
    assert lines.lines()[-1] == (
        "LEGCHECK_REMINDERS: on (environment): a next-day check-in reminder is offered after "
        "the advice"
    )


def test_the_default_skill_offers_reminders_when_the_setting_says_so(
    fake: FakeAlexaApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill import app

    monkeypatch.setattr(app, "_default", {})
    env = {"LEGCHECK_DB": "off", "LEGCHECK_REMINDERS": "on"}
    runner = Runner(fake, None, reminders=False)
    runner.skill = default_skill(Deployment.LOCAL, Settings.load(Deployment.LOCAL, env))
    assert runner.check_in().speech.endswith(offer_words(runner.words))
    monkeypatch.setattr(app, "_default", {})
    off = default_skill(Deployment.LOCAL, Settings.load(Deployment.LOCAL, {"LEGCHECK_DB": "off"}))
    runner.skill = off
    runner.later(1)
    assert runner.check_in().ends is True


# ------------------------------------------------------------------ what it imports

LOOP_IN_A_FRESH_PROCESS = """
import json, sys
from skill.app import build_skill, handle_event
skill = build_skill(None, reminders=True)
said = [handle_event(envelope, None, skill) for envelope in json.loads(sys.argv[1])]
print(json.dumps({"said": said, "modules": sorted(sys.modules)}))
"""


@pytest.mark.slow  # a fresh process
def test_the_offer_and_the_voice_consent_import_neither_requests_nor_urllib3(
    fake: FakeAlexaApi,
) -> None:
    """The Lambda zip has neither: offering, asking and setting must not need them."""
    runner = Runner(fake, None)
    runner.check_in()  # in this process: only to learn the token the offer gives
    token = token_of(runner.say("yes"))
    talk = Session(api_endpoint=fake.url, api_access_token=API_TOKEN)
    envelopes = [
        talk.intent("AMAZON.HelpIntent", now=EVENING),  # (any first turn)
        talk.connections_response("AskFor", "ACCEPTED", token, now=EVENING),
    ]
    out = run_python(LOOP_IN_A_FRESH_PROCESS, json.dumps(envelopes), cwd=REPO_ROOT)
    assert speech_text(out["said"][1]["response"]["outputSpeech"]) == set_words(runner.words)
    for name in ("requests", "urllib3", "ask_sdk_core.api_client", "certifi"):
        assert [m for m in out["modules"] if m == name or m.startswith(name + ".")] == []


def test_the_packaged_function_offers_reminders_as_its_manifest_declares_them() -> None:
    """(The manifest's permission: tests/test_package.py.)"""
    from skill.tools.package import Endpoint, skill_stack

    arn = "arn:aws:lambda:us-east-1:123456789012:function:legcheck"
    stack = skill_stack(Endpoint.lambda_arn(arn))
    env = stack["Resources"]["SkillFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LEGCHECK_REMINDERS"] == "on"
    assert reminders_of(env) == (True, "environment")
