"""Property-based tests of the web boundary: whatever arrives, the answer is sound.

Over request envelopes (every request type, intent and slot shape Alexa sends, session state a
conversation can hold, unknown properties Alexa may add) and over raw HTTP bodies (any bytes,
any JSON, nesting bombs, cut envelopes), against ``create_app`` with verification off (from
127.0.0.1) and on (signed with the test PKI): every answer is a response Alexa would take (the
JSON Schema in ``tests/schemas/alexa-response.schema.json`` and ``skill.limits``) or a 4xx with a
one-line reason; never a 5xx, and never an error or a traceback in the log.

The envelope strategies keep to what the handlers are known to survive. Each input class that
still breaks a handler (found by ``scripts/fuzz.py``) has its own ``xfail(strict=True)`` test at
the end, naming the handler bug, to be flipped when the handlers are fixed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.app import build_skill
from skill.handlers import HANDLED_INTENTS
from skill.web import create_app
from tests.alexa_response import reply_problems
from tests.certs import CERT_URL, SKILL_ID, TestPKI, headers_for, shared_pki
from tests.conftest import sqlite_store

pytestmark = pytest.mark.usefixtures("no_network")

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FEATURES = [
    "tingling",
    "itching",
    "numbness",
    "burning",
    "twitching",
    "spasm",
    "cramp",
    "ache",
    "pain",
    "tightness",
    "swelling",
    "hives",
    "legs",
    "thighs",
    "lower_legs",
    "feet",
    "toes",
    "between_toes",
    "ball_of_foot",
    "one_leg",
    "both_legs",
    "chest",
    "during_run",
    "after_run",
    "soon_after_start",
    "lasts_days",
    "comes_and_goes",
    "fades_after_cooldown",
    "worse_as_run_goes_on",
    "cant_walk",
    "shoots_up_leg",
    "keeps_coming_back",
    "flexible_feet",
    "throat_tight",
    "breathing_trouble",
    "face_swelling",
    "chest_pain",
    "one_side_weakness",
    "bladder_bowel",
    "calf_hot_swollen",
    "face_throat_breathing",
    "foot_burning",
]
# The features the skill asks about: the only values ``pending`` can hold in a real session.
QUESTIONS = [
    "tingling",
    "itching",
    "twitching",
    "ache",
    "pain",
    "tightness",
    "lower_legs",
    "between_toes",
    "soon_after_start",
    "lasts_days",
    "fades_after_cooldown",
    "worse_as_run_goes_on",
    "cant_walk",
    "shoots_up_leg",
    "face_throat_breathing",
    "calf_hot_swollen",
    "foot_burning",
]
SLOT_TYPES = {
    "Sensation": "SENSATION",
    "SecondSensation": "SENSATION",
    "BodyPart": "BODY_PART",
    "Timing": "TIMING",
    "Modifier": "MODIFIER",
    "DangerSign": "DANGER_SIGN",
}
# Every intent a handler takes (a new one is covered without editing this), and some none does.
INTENTS = [*sorted(HANDLED_INTENTS), "AMAZON.PauseIntent", "SomeoneElsesIntent"]
OTHER_REQUEST_TYPES = [
    "CanFulfillIntentRequest",
    "Display.ElementSelected",
    "AudioPlayer.PlaybackStopped",
    "System.ExceptionEncountered",
    "SessionResumedRequest",
    "Connections.Response",
]

# Text a person could say or a skill could store: no control characters, no lone surrogates.
speakable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


# -- envelopes ------------------------------------------------------------------------------------


@st.composite
def session_state(draw: st.DrawFn) -> dict[str, Any]:
    """Session attributes of the shapes the skill writes, plus unknown keys of any JSON."""
    state: dict[str, Any] = {}
    if draw(st.booleans()):
        state["answers"] = draw(
            st.dictionaries(
                st.sampled_from(FEATURES + ["unknown_feature"]), st.booleans(), max_size=6
            )
        )
    if draw(st.booleans()):
        state["asked"] = draw(st.lists(st.sampled_from(FEATURES), max_size=5))
    if draw(st.booleans()):
        state["pending"] = draw(st.none() | st.sampled_from(QUESTIONS))
    if draw(st.booleans()):
        state["forget"] = draw(st.booleans())
    if draw(st.booleans()):
        state["tries"] = draw(st.integers(0, 20))
    if draw(st.booleans()):
        speech = draw(st.lists(speakable.filter(bool), min_size=1, max_size=3))
        state["last"] = {
            "speech": speech,
            "reprompt": draw(st.lists(speakable.filter(bool), max_size=2)),
        }
    state.update(
        draw(
            st.dictionaries(
                st.text(max_size=10).filter(lambda k: k not in state), json_values, max_size=3
            )
        )
    )
    return state


@st.composite
def slot(draw: st.DrawFn, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if draw(st.integers(0, 4)) == 0:
        return out  # an empty slot, as Alexa lists every slot of the intent
    words = draw(speakable.filter(lambda w: w.strip() != ""))
    out.update(value=words, source="USER")
    kind = draw(st.sampled_from(["match", "no match", "none", "two authorities"]))
    authority = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{SLOT_TYPES[name]}"
    ids = st.sampled_from(FEATURES) | st.text(max_size=12)
    match = {
        "authority": authority,
        "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [
            {"value": {"name": words, "id": draw(ids)}} for _ in range(draw(st.integers(1, 2)))
        ],
    }
    no_match = {
        "authority": authority,
        "status": {
            "code": draw(
                st.sampled_from(["ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT", "ER_ERROR_EXCEPTION"])
            )
        },
    }
    if kind == "match":
        out["resolutions"] = {"resolutionsPerAuthority": [match]}
    elif kind == "no match":
        out["resolutions"] = {"resolutionsPerAuthority": [no_match]}
    elif kind == "two authorities":
        out["resolutions"] = {"resolutionsPerAuthority": [no_match, match]}
    return out


@st.composite
def request_body(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "LaunchRequest",
                "IntentRequest",
                "IntentRequest",
                "IntentRequest",
                "SessionEndedRequest",
                "other",
            ]
        )
    )
    request: dict[str, Any] = {
        "type": kind,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": (now + timedelta(seconds=draw(st.integers(-100, 100)))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "locale": draw(st.sampled_from(["en-US", "en-US", "en-GB", "de-DE", "xx-XX"])),
    }
    if kind == "other":
        request["type"] = draw(st.sampled_from(OTHER_REQUEST_TYPES))
    elif kind == "SessionEndedRequest":
        request["reason"] = draw(
            st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"])
        )
        if request["reason"] == "ERROR":
            request["error"] = {"type": "INVALID_RESPONSE", "message": draw(speakable)}
    elif kind == "IntentRequest":
        name = draw(st.sampled_from(INTENTS))
        intent: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
        if name in ("ReportSymptomsIntent", "AnswerIntent"):
            names = draw(st.lists(st.sampled_from(sorted(SLOT_TYPES)), unique=True, max_size=6))
            intent["slots"] = {n: draw(slot(n)) for n in names}
        request["intent"] = intent
        request["dialogState"] = draw(st.sampled_from(["STARTED", "IN_PROGRESS", "COMPLETED"]))
    return request


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An envelope as Alexa sends it, with state a session can hold and unknown properties."""
    now = datetime.now(UTC)
    application = {"applicationId": SKILL_ID}
    user = {"userId": f"amzn1.ask.account.PROP{draw(st.integers(0, 3))}"}
    envelope: dict[str, Any] = {
        "version": "1.0",
        "session": {
            "new": draw(st.booleans()),
            "sessionId": "amzn1.echo-api.session.properties",
            "application": application,
            "user": user,
            "attributes": draw(session_state()),
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.P", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": draw(request_body(now)),
    }
    # Alexa may add properties the SDK does not know yet; they must be ignored.
    for holder in draw(
        st.lists(st.sampled_from(["", "request", "session", "context"]), max_size=2)
    ):
        target = envelope if not holder else envelope[holder]
        target[f"x{draw(st.integers(0, 99))}"] = draw(json_values)
    if draw(st.booleans()):
        del envelope["session"]["attributes"]
    return envelope


# -- raw bodies -----------------------------------------------------------------------------------


def _envelope_bytes() -> st.SearchStrategy[bytes]:
    return envelopes().map(lambda e: json.dumps(e).encode())


@st.composite
def cut_envelopes(draw: st.DrawFn) -> bytes:
    body = draw(_envelope_bytes())
    return body[: draw(st.integers(0, len(body) - 1))]


nesting_bombs = st.builds(
    lambda opener, depth, tail: opener * depth + tail,
    st.sampled_from([b"[", b'{"k":', b'{"session":{"attributes":', b'["\\"",']),
    st.integers(50, 6000),
    st.sampled_from([b"", b"1", b"]" * 10]),
)

http_bodies = st.one_of(
    st.binary(max_size=600),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["version", "request", "session", "context"]), json_values, max_size=4
    ).map(lambda v: json.dumps(v).encode()),
    nesting_bombs,
    cut_envelopes(),
    st.sampled_from(
        [
            b"NaN",
            b'{"version": "1.0", "request": {"x": Infinity}}',
            b"1e999",
            b"9" * 5000,
            b'"\\ud800"',
            b"\xef\xbb\xbf{}",
            b"",
            b" ",
            b"null",
        ]
    ),
)


# -- the apps -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(scope="module")
def open_app(store_dir: Path) -> Flask:
    skill = build_skill(sqlite_store(store_dir / "open.sqlite3"))
    return create_app({"TESTING": True, "LEGCHECK_SKILL": skill, "LEGCHECK_VERIFY": False})


@pytest.fixture(scope="module")
def verified_app(store_dir: Path) -> Iterator[Flask]:
    pki = shared_pki()
    skill = build_skill(sqlite_store(store_dir / "verified.sqlite3"))
    yield create_app(
        {
            "TESTING": True,
            "LEGCHECK_SKILL": skill,
            "LEGCHECK_SKILL_ID": SKILL_ID,
            "LEGCHECK_CERT_FETCHER": lambda url: pki.chain(),
            "LEGCHECK_TRUST_ROOTS": pki.roots,
        }
    )


def assert_sound(
    app: Flask, body: bytes, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> int:
    """Post ``body``; the answer must be valid or a 4xx with a reason, and the log clean."""
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        reply = app.test_client().post(
            "/", data=body, headers=headers, content_type="application/json"
        )
    problems = reply_problems(
        reply.status_code, reply.get_data(), reply.content_type, skill_route=True
    )
    assert not problems, f"{problems} for {body[:500]!r}"
    bad_records = [
        f"{r.levelname} {r.name}: {r.getMessage()[:300]}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info
    ]
    assert not bad_records, f"{bad_records} for {body[:500]!r}"
    return reply.status_code


# -- the properties -------------------------------------------------------------------------------


@PROPERTY
@given(envelope=envelopes())
def test_every_envelope_gets_a_valid_answer_unverified(
    open_app: Flask, envelope: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    status = assert_sound(open_app, json.dumps(envelope).encode(), {}, caplog)
    if envelope["request"]["type"] in ("LaunchRequest", "IntentRequest", "SessionEndedRequest"):
        assert status == 200  # what Alexa sends is answered, not refused


@PROPERTY
@given(body=http_bodies)
def test_every_body_gets_a_valid_answer_or_a_reason_unverified(
    open_app: Flask, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    assert_sound(open_app, body, {}, caplog)


@PROPERTY
@given(envelope=envelopes())
def test_every_signed_envelope_gets_a_valid_answer(
    verified_app: Flask, pki: TestPKI, envelope: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(envelope).encode()
    status = assert_sound(verified_app, body, headers_for(body, pki.leaf.key), caplog)
    if envelope["request"]["type"] in ("LaunchRequest", "IntentRequest", "SessionEndedRequest"):
        assert status == 200


@PROPERTY
@given(
    body=http_bodies,
    signing=st.sampled_from(["signed", "unsigned", "wrong key", "odd url", "odd signature"]),
)
def test_every_body_gets_a_valid_answer_or_a_reason_verified(
    verified_app: Flask, pki: TestPKI, body: bytes, signing: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers: dict[str, str] = {}
    if signing == "signed":
        headers = headers_for(body, pki.leaf.key)
    elif signing == "wrong key":
        headers = headers_for(body, pki.leaves["other_key"].key)
    elif signing == "odd url":
        headers = headers_for(body, pki.leaf.key, CERT_URL.replace("echo.api", "echo.api/../x"))
    elif signing == "odd signature":
        headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": "%%% \t not base64"}
    status = assert_sound(verified_app, body, headers, caplog)
    assert status != 200 or signing == "signed"


# -- handler failures, to be flipped when the handlers are fixed ----------------------------------


def _envelope(
    request: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    session: bool = True,
    user: bool = True,
) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    application = {"applicationId": SKILL_ID}
    who = {"userId": "amzn1.ask.account.HANDLERBUG"} if user else None
    envelope: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "device": {"deviceId": "d", "supportedInterfaces": {}},
            }
        },
        "request": {
            "requestId": "amzn1.echo-api.request.handler-bug",
            "timestamp": now,
            "locale": "en-US",
            **request,
        },
    }
    if who:
        envelope["context"]["System"]["user"] = who
    if session:
        envelope["session"] = {
            "new": False,
            "sessionId": "s",
            "application": application,
            "attributes": attributes or {},
        }
        if who:
            envelope["session"]["user"] = who
    return envelope


def _intent(name: str, **slots: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "IntentRequest",
        "intent": {
            "name": name,
            "confirmationStatus": "NONE",
            "slots": {n: {"name": n, **s} for n, s in slots.items()},
        },
    }


def _resolved(**authority: Any) -> dict[str, Any]:
    return {
        "value": "itchy",
        "resolutions": {
            "resolutionsPerAuthority": [
                {"authority": "a", "status": {"code": "ER_SUCCESS_MATCH"}, **authority}
            ]
        },
    }


HOSTILE_SESSIONS = [  # each once broke a handler; now each gets a sound answer
    pytest.param(
        _envelope({"type": "AlexaSkillEvent.SkillDisabled"}, session=False),
        id="skill-event-without-session",
    ),
    pytest.param(_envelope({"type": "LaunchRequest"}, session=False), id="launch-without-session"),
    pytest.param(
        _envelope(_intent("ReportSymptomsIntent", Sensation=_resolved(values=[]))),
        id="resolution-values-empty",
    ),
    pytest.param(
        _envelope(_intent("ReportSymptomsIntent", Sensation=_resolved())),
        id="resolution-values-missing",
    ),
    pytest.param(
        _envelope(_intent("ReportSymptomsIntent", Sensation=_resolved(values=[{"name": "x"}]))),
        id="resolution-value-missing",
    ),
    pytest.param(
        _envelope(
            _intent("ReportSymptomsIntent")
            | {"intent": {"name": "ReportSymptomsIntent", "slots": {"Sensation": None}}}
        ),
        id="slot-null",
    ),
    pytest.param(
        _envelope(
            _intent(
                "ReportSymptomsIntent",
                Sensation={"value": "itchy", "resolutions": {"resolutionsPerAuthority": [None]}},
            )
        ),
        id="authority-null",
    ),
    pytest.param(_envelope({"type": "IntentRequest"}), id="intent-missing"),
    pytest.param(_envelope(_intent("AMAZON.HelpIntent"), {"pending": 5}), id="pending-number"),
    pytest.param(
        _envelope(_intent("AMAZON.FallbackIntent"), {"pending": "legs"}),
        id="pending-not-a-question",
    ),
    pytest.param(
        _envelope(_intent("AMAZON.HelpIntent"), {"pending": {"a": 1}}), id="pending-object"
    ),
    pytest.param(
        _envelope(_intent("AMAZON.YesIntent"), {"pending": ["itching"]}), id="pending-list"
    ),
    pytest.param(
        _envelope(_intent("AMAZON.NoIntent"), {"pending": "itching", "answers": ["itching"]}),
        id="answers-list",
    ),
    pytest.param(
        _envelope(_intent("AMAZON.YesIntent"), {"pending": "itching", "answers": 7}),
        id="answers-number",
    ),
    pytest.param(_envelope(_intent("ReportSymptomsIntent"), {"answers": True}), id="answers-bool"),
    pytest.param(_envelope(_intent("ReportSymptomsIntent"), {"asked": 7}), id="asked-number"),
    pytest.param(_envelope(_intent("ReportSymptomsIntent"), {"tries": "x"}), id="tries-text"),
    pytest.param(_envelope(_intent("ReportSymptomsIntent"), {"tries": None}), id="tries-null"),
    pytest.param(
        _envelope(_intent("AMAZON.RepeatIntent"), {"last": {"reprompt": ["Well?"]}}),
        id="last-without-speech",
    ),
    pytest.param(_envelope(_intent("AMAZON.RepeatIntent"), {"last": "hello"}), id="last-text"),
    pytest.param(
        _envelope(_intent("AMAZON.RepeatIntent"), {"last": {"speech": [5]}}),
        id="last-speech-number",
    ),
    pytest.param(
        _envelope(_intent("AMAZON.RepeatIntent"), {"last": {"speech": ["\x00hi"]}}), id="repeat-nul"
    ),
    pytest.param(
        _envelope(_intent("AMAZON.RepeatIntent"), {"last": {"speech": ["a" * 9000]}}),
        id="repeat-too-long",
    ),
    pytest.param(_envelope(_intent("PrivacyIntent"), user=False), id="no-user-id"),
]


@pytest.mark.parametrize("envelope", HOSTILE_SESSIONS)
def test_hostile_envelopes_get_a_sound_answer_and_a_clean_log(
    open_app: Flask, envelope: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    status = assert_sound(open_app, json.dumps(envelope).encode(), {}, caplog)
    assert status == 200
