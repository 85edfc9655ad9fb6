"""Property-based tests of the web boundary: whatever arrives, the answer is sound.

Over request envelopes (every request type, intent and slot shape Alexa sends, session state a
conversation can hold, unknown properties Alexa may add) and over raw HTTP bodies (any bytes,
any JSON, nesting bombs, cut envelopes), against ``create_app`` with verification off (from
127.0.0.1) and on (signed with the test PKI): every answer is a response Alexa would take (the
JSON Schema in ``tests/schemas/alexa-response.schema.json`` and ``skill.limits``) or a 4xx with a
one-line reason; never a 5xx, and never an error or a traceback in the log.

The envelope strategies (``tests/support/strategies.py``) keep to what the handlers are known to
survive. Each input class that still breaks a handler (found by ``scripts/fuzz.py``) has its own
``xfail(strict=True)`` test at the end, naming the handler bug, to be flipped when the handlers
are fixed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.app import build_skill
from skill.web import create_app
from tests.support.alexa_response import reply_problems
from tests.support.certs import CERT_URL, SKILL_ID, TestPKI, headers_for, shared_pki
from tests.support.stores import sqlite_store
from tests.support.strategies import envelopes, json_values

pytestmark = pytest.mark.usefixtures("no_network")

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

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


@pytest.mark.slow
@PROPERTY
@given(envelope=envelopes())
def test_every_envelope_gets_a_valid_answer_unverified(
    open_app: Flask, envelope: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    status = assert_sound(open_app, json.dumps(envelope).encode(), {}, caplog)
    if envelope["request"]["type"] in ("LaunchRequest", "IntentRequest", "SessionEndedRequest"):
        assert status == 200  # what Alexa sends is answered, not refused


@pytest.mark.slow
@PROPERTY
@given(body=http_bodies)
def test_every_body_gets_a_valid_answer_or_a_reason_unverified(
    open_app: Flask, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    assert_sound(open_app, body, {}, caplog)


@pytest.mark.slow
@PROPERTY
@given(envelope=envelopes())
def test_every_signed_envelope_gets_a_valid_answer(
    verified_app: Flask, pki: TestPKI, envelope: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(envelope).encode()
    status = assert_sound(verified_app, body, headers_for(body, pki.leaf.key), caplog)
    if envelope["request"]["type"] in ("LaunchRequest", "IntentRequest", "SessionEndedRequest"):
        assert status == 200


@pytest.mark.slow
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
