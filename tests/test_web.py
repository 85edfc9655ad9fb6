"""The Flask endpoint: the envelope in, the skill's answer out, and clear refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from skill.envelopes import Session, SlotValue
from tests.conftest import load_fixture


def speech(body: dict[str, Any]) -> str:
    return str(body["response"]["outputSpeech"]["ssml"])


def test_launch_request_is_answered(client: FlaskClient) -> None:
    reply = client.post("/", json=load_fixture("launch.json"))
    assert reply.status_code == 200
    assert reply.content_type == "application/json"
    assert "How do your legs feel" in speech(reply.get_json())


def test_a_whole_check_in_over_http(client: FlaskClient) -> None:
    session = Session()
    reply = client.post("/", json=session.intent("ReportSymptomsIntent", [
        SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION"),
        SlotValue("BodyPart", "calves", "lower_legs", slot_type="BODY_PART")]))
    assert session.absorb(reply.get_json())
    assert "day or more" in speech(reply.get_json())
    reply = client.post("/", json=session.intent("AMAZON.NoIntent"))
    body = reply.get_json()
    assert "low electrolytes" in speech(body)
    assert speech(body).endswith("so I can spot a pattern?</speak>")  # asked once
    assert session.absorb(body)
    body = client.post("/", json=session.intent("AMAZON.NoIntent")).get_json()
    assert speech(body) == "<speak>Okay, I won't keep your check-ins. Take care.</speak>"
    assert body["response"]["shouldEndSession"] is True


@pytest.mark.parametrize("body,reason", [
    (b"{not json", "invalid JSON"),
    (b"[1, 2, 3]", "expected a JSON object, got list"),
    (b'{"version": "1.0"}', "'request', it is missing"),
    (b'{"version": "1.0", "request": {"type": 7}}', "request.type to be a string"),
    (b'{"version": "1.0", "request": {"type": "LaunchRequest"}}', "request.requestId"),
    (b"\xff\xfe\x00garbage", "invalid JSON"),
])
def test_malformed_bodies_get_400_with_a_reason(client: FlaskClient, body: bytes, reason: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    reply = client.post("/", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert reason in reply.get_json()["error"]
    assert "refused request" in caplog.text


def test_oversized_body_is_refused_before_parsing(client: FlaskClient) -> None:
    envelope = load_fixture("launch.json")
    envelope["padding"] = "x" * (200 * 1024)
    reply = client.post("/", data=json.dumps(envelope), content_type="application/json")
    assert reply.status_code == 413
    assert "at most" in reply.get_json()["error"]


def test_get_on_the_skill_route_is_not_allowed(client: FlaskClient) -> None:
    assert client.get("/").status_code == 405
