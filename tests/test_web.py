"""The Flask endpoint: the envelope in, the skill's answer out, and clear refusals."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response
from flask.testing import FlaskClient

from skill import limits
from skill.tools.envelopes import Session, SlotValue
from skill.web import create_app
from tests.support.fixtures import load_fixture

pytestmark = pytest.mark.usefixtures("checked_responses")


def speech(body: dict[str, Any]) -> str:
    return str(body["response"]["outputSpeech"]["ssml"])


def test_launch_request_is_answered(client: FlaskClient) -> None:
    reply = client.post("/", json=load_fixture("launch.json"))
    assert reply.status_code == 200
    assert reply.content_type == "application/json"
    assert "How do your legs feel" in speech(reply.get_json())


def test_a_whole_check_in_over_http(client: FlaskClient) -> None:
    session = Session()
    reply = client.post(
        "/",
        json=session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION"),
                SlotValue("BodyPart", "calves", "lower_legs", slot_type="BODY_PART"),
            ],
        ),
    )
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


def test_the_endpoint_answers_through_handle_event(
    monkeypatch: pytest.MonkeyPatch, skill_obj: CustomSkill
) -> None:
    import skill.app
    import skill.web

    calls: list[tuple[Any, Any, Any]] = []

    def spy(event: Any, context: Any = None, skill: Any = None) -> dict[str, Any]:
        calls.append((event, context, skill))
        return skill_app_handle_event(event, context, skill)

    skill_app_handle_event = skill.app.handle_event
    monkeypatch.setattr(skill.web, "handle_event", spy)
    app = create_app({"LEGCHECK_SKILL": skill_obj, "LEGCHECK_VERIFY": False})
    body = json.dumps(load_fixture("launch.json")).encode()
    reply = app.test_client().post("/", data=body, content_type="application/json")
    assert reply.status_code == 200
    assert calls == [(body, None, skill_obj)]  # the body as received: no second encoding
    assert reply.get_json() == skill_app_handle_event(body, None, skill_obj)


def test_an_envelope_the_sdk_cannot_read_is_a_400(client: FlaskClient) -> None:
    envelope = load_fixture("launch.json")
    envelope["request"]["timestamp"] = "not a time"
    reply = client.post("/", json=envelope)
    assert reply.status_code == 400
    assert reply.get_json()["error"].startswith("the request envelope could not be read: ")


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b'{"version": "1.0"}', "'request', it is missing"),
        (b'{"version": "1.0", "request": {"type": 7}}', "request.type to be a string"),
        (b'{"version": "1.0", "request": {"type": "LaunchRequest"}}', "request.requestId"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_malformed_bodies_get_400_with_a_reason(
    client: FlaskClient, body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
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


# -- bounded input --------------------------------------------------------------------------------


def nest(depth: int) -> str:
    return '{"k": ' * depth + "1" + "}" * depth


def with_attributes(attributes_json: str) -> bytes:
    envelope = load_fixture("launch.json")
    envelope["session"]["attributes"] = "@ATTRIBUTES@"
    return json.dumps(envelope).replace('"@ATTRIBUTES@"', attributes_json).encode()


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"[" * 990 + b"]" * 990, "nested at most 64 deep"),
        (b"[" * 100_000, "nested at most 64 deep"),
        (b'{"version": "1.0", "request": ' + nest(5000).encode() + b"}", "nested at most 64 deep"),
        (with_attributes(nest(500)), "nested at most 64 deep"),
        (with_attributes(nest(20)), "session.attributes nested at most 16 deep"),
        (with_attributes(json.dumps({"big": "x" * 20_000})), "session.attributes of at most 16384"),
        (with_attributes("[1, 2]"), "session.attributes to be a JSON object, got an array"),
        (with_attributes('{"pending": NaN}'), "got NaN"),
        (with_attributes('{"tries": 1e999}'), "finite JSON numbers"),
        (with_attributes('{"tries": ' + "9" * 5000 + "}"), "at most 64 digits"),
        (with_attributes('{"pending": "\\ud800"}'), "half of a surrogate pair"),
        (
            json.dumps({**load_fixture("launch.json"), "session": "yes"}).encode(),
            "session to be a JSON object",
        ),
    ],
)
def test_unbounded_input_is_refused_before_it_can_hurt(
    client: FlaskClient, body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = client.post("/", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert reason in reply.get_json()["error"]
    lines = [r for r in caplog.records if r.name == "legcheck.web" and "refused" in r.message]
    assert len(lines) == 1 and reason in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_attributes_at_their_bounds_are_accepted(client: FlaskClient) -> None:
    # 16 deep (the object itself, then 15 more) and just under 16 KiB
    body = with_attributes(json.dumps({"note": json.loads(nest(15)), "pad": "x" * 16_000}))
    reply = client.post("/", data=body, content_type="application/json")
    assert reply.status_code == 200


def test_a_body_of_exactly_the_limit_is_parsed(client: FlaskClient) -> None:
    envelope = load_fixture("launch.json")
    envelope["padding"] = ""
    envelope["padding"] = "x" * (128 * 1024 - len(json.dumps(envelope)))
    body = json.dumps(envelope).encode()
    assert len(body) == 128 * 1024
    assert client.post("/", data=body, content_type="application/json").status_code == 200
    assert client.post("/", data=body + b" ", content_type="application/json").status_code == 413


def test_a_pending_number_is_answered_with_valid_json(client: FlaskClient) -> None:
    # Mixed key types in the attributes broke sorted JSON output; the answer is sent unsorted.
    session = Session(attributes={"pending": 5, "answers": {"itching": True}}, new=False)
    reply = client.post(
        "/",
        json=session.intent(
            "ReportSymptomsIntent",
            [SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION")],
        ),
    )
    assert reply.status_code == 200


def test_method_and_route_errors_have_a_json_reason(client: FlaskClient) -> None:
    reply = client.get("/")
    assert reply.status_code == 405
    assert reply.get_json()["error"].startswith("Method Not Allowed")
    reply = client.post("/nowhere", json={})
    assert reply.status_code == 404 and reply.get_json()["error"].startswith("Not Found")


# -- verification off: loopback only --------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_unverified_serving_answers_loopback(client: FlaskClient, address: str) -> None:
    reply = client.post(
        "/", json=load_fixture("launch.json"), environ_overrides={"REMOTE_ADDR": address}
    )
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.5",
        "192.168.1.20",
        "8.8.8.8",
        "2001:db8::1",
        "::ffff:10.0.0.5",
        "",
        "not-an-address",
        "0.0.0.0",
    ],
)
def test_unverified_serving_refuses_anyone_else(
    client: FlaskClient, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = client.post(
        "/", json=load_fixture("launch.json"), environ_overrides={"REMOTE_ADDR": address}
    )
    assert reply.status_code == 400
    reason = reply.get_json()["error"]
    assert reason.startswith("expected a request from a loopback address")
    assert "LEGCHECK_VERIFY is false" in reason
    assert "refused request: expected a request from a loopback address" in caplog.text


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_unverified_serving_refuses_what_came_through_a_proxy(
    client: FlaskClient, header: str
) -> None:
    reply = client.post("/", json=load_fixture("launch.json"), headers={header: "203.0.113.9"})
    assert reply.status_code == 400
    assert f"through a proxy ({header} header)" in reply.get_json()["error"]


def test_unverified_serving_warns_at_start(
    caplog: pytest.LogCaptureFixture, skill_obj: CustomSkill
) -> None:
    with caplog.at_level(logging.WARNING, logger="legcheck.web"):
        create_app({"LEGCHECK_SKILL": skill_obj, "LEGCHECK_VERIFY": False})
    assert "request verification is off" in caplog.text
    assert "only requests from loopback addresses" in caplog.text


def test_health_answers_anyone(client: FlaskClient) -> None:
    reply = client.get("/health", environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    assert reply.status_code == 200


# -- what goes out --------------------------------------------------------------------------------


class Scripted(AbstractRequestHandler):  # type: ignore[misc]
    """Answers every request with whatever ``make`` builds (or raises)."""

    def __init__(self, make: Callable[[HandlerInput], Response]) -> None:
        self.make = make

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.make(handler_input)


def scripted_client(make: Callable[[HandlerInput], Response]) -> FlaskClient:
    builder = SkillBuilder()
    builder.add_request_handler(Scripted(make))
    return create_app({"LEGCHECK_SKILL": builder.create(), "LEGCHECK_VERIFY": False}).test_client()


def speak(
    text: str, attributes: dict[str, Any] | None = None
) -> Callable[[HandlerInput], Response]:
    def make(handler_input: HandlerInput) -> Response:
        handler_input.attributes_manager.session_attributes.update(attributes or {})
        return handler_input.response_builder.speak(text).ask("Well?").response

    return make


def fail(handler_input: HandlerInput) -> Response:
    raise RecursionError("maximum recursion depth exceeded")


@pytest.mark.parametrize(
    "make,reason",
    [
        (speak("a" * 8001), "expected response.outputSpeech.ssml of at most 8000 characters"),
        (speak("a\x00b"), "without control characters, got U+0000"),
        (speak("fish & chips"), "to be well-formed XML"),
        (
            speak("Fine.", {"big": "x" * 16_000, "more": "y" * 6_000}),
            "expected sessionAttributes of at most 16384 bytes",
        ),
        (speak("a" * 7900, {"big": "x" * 16_000}), "expected a response of at most 24000 bytes"),
        (speak("Fine.", {"bad": float("nan")}), "ValueError: Out of range float values"),
        (fail, "RecursionError: maximum recursion depth exceeded (at test_web.py:"),
    ],
)
def test_an_unsendable_response_becomes_a_logged_apology(
    make: Callable[[HandlerInput], Response], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = scripted_client(make).post("/", json=load_fixture("launch.json"))
    assert reply.status_code == 200
    body = reply.get_json()
    assert body == limits.apology_response()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert reason in line and "\n" not in line
    assert "request amzn1.echo-api.request.fixture-launch" in line
    assert "answered with an apology" in line
    assert errors[0].exc_info is None  # one line, no traceback


def test_a_failure_outside_the_skill_is_a_logged_500(
    monkeypatch: pytest.MonkeyPatch, skill_obj: CustomSkill, caplog: pytest.LogCaptureFixture
) -> None:
    import skill.web as web

    def broken(_body: bytes) -> Any:
        raise OverflowError("a bug in the web layer itself")

    monkeypatch.setattr(web, "parse_envelope", broken)
    app = create_app({"LEGCHECK_SKILL": skill_obj, "LEGCHECK_VERIFY": False})
    app.test_client_class = FlaskClient  # this one test expects a 5xx: no checking client
    reply = app.test_client().post("/", json=load_fixture("launch.json"))
    assert reply.status_code == 500
    assert reply.get_json() == {"error": "internal error; it has been logged"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "OverflowError: a bug in the web layer itself (at test_web.py:" in errors[0].message
    assert "(request id amzn1.echo-api.request.fixture-launch)" in errors[0].message
