"""The skill's serializer reads every request exactly as the SDK's own does, only faster.

:class:`skill.serializer.LegCheckSerializer` replaces three private steps of ask-sdk-core's
``DefaultSerializer``. These tests hold it to the SDK: equal model objects (or the same
failure) for every envelope the tests keep, every envelope of a recorded conversation,
generated envelopes and hostile ones; timestamps read to the same instant; and the hooks
really in use (an SDK release that renamed them would make these fail, not the skill slow).
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.intent_confirmation_status import IntentConfirmationStatus
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skill.app import build_skill, handle_event
from skill.serializer import LegCheckSerializer
from skill.tools.envelopes import Session, SlotValue
from skill.tools.simulator import checkin
from tests.support.fixtures import FIXTURES
from tests.support.strategies import envelopes, json_values

CONVERSATIONS = Path(__file__).parent / "conversations"


def read_both(payload: str, obj_type: Any = RequestEnvelope) -> tuple[Any, Any]:
    """What the SDK and the skill make of ``payload``: objects, or the exception raised."""
    out = []
    for serializer in (DefaultSerializer(), LegCheckSerializer()):
        try:
            out.append(serializer.deserialize(payload, obj_type))
        except SerializationException as exc:
            out.append(exc)
    return out[0], out[1]


def assert_same(payload: str) -> None:
    sdk, ours = read_both(payload)
    if isinstance(sdk, Exception):
        assert isinstance(ours, SerializationException), (payload, sdk, ours)
    else:
        assert ours == sdk, payload
        assert type(ours.request) is type(sdk.request)


@functools.cache
def recorded() -> tuple[str, ...]:
    """The envelopes of a whole check-in, as the simulator records them (once per run)."""
    return tuple(json.dumps(e) for e in checkin.record(build_skill(None)))


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_fixture_envelopes_read_as_the_sdk_reads_them(fixture: Path) -> None:
    assert_same(fixture.read_text(encoding="utf-8"))


def test_a_recorded_check_in_reads_as_the_sdk_reads_it() -> None:
    payloads = recorded()
    assert len(payloads) >= 4
    for payload in payloads:
        assert_same(payload)


def test_slots_resolutions_and_screens_read_as_the_sdk_reads_them() -> None:
    session = Session(screen=True)
    session.attributes = {
        "answers": {"tingling": True},
        "asked": ["lasts_days"],
        "pending": "lasts_days",
    }
    envelope = session.intent(
        "ReportSymptomsIntent",
        [
            SlotValue("Sensation", "tingly", "tingling", "tingling", "SENSATION"),
            SlotValue("BodyPart", "my shinnies", None, None, "BODY_PART"),
        ],
        slot_names=["Timing"],
    )
    envelope["context"]["unknownFutureProperty"] = {"nested": [1, 2, {"x": None}]}
    sdk, ours = read_both(json.dumps(envelope))
    assert ours == sdk
    slots = ours.request.intent.slots
    assert slots["Sensation"].resolutions == sdk.request.intent.slots["Sensation"].resolutions
    assert ours.request.intent.confirmation_status is IntentConfirmationStatus.NONE
    assert ours.context.unknownFutureProperty == {"nested": [1, 2, {"x": None}]}


@pytest.mark.slow
@settings(max_examples=150, deadline=None, database=None)
@given(envelopes())
def test_generated_envelopes_read_as_the_sdk_reads_them(envelope: dict[str, Any]) -> None:
    assert_same(json.dumps(envelope))


@settings(max_examples=150, deadline=None, database=None)
@given(st.sampled_from(["request", "session", "context", "version"]), json_values)
@example("session", {"__dict__": {}, "": None})  # unknown keys are set in the payload's order
def test_wrong_shapes_fail_or_pass_as_with_the_sdk(key: str, value: Any) -> None:
    envelope = json.loads(recorded()[1])
    envelope[key] = value
    assert_same(json.dumps(envelope))


stamps = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-1)), timezone(timedelta(hours=5, minutes=30))]
    ),
)


@settings(max_examples=300, deadline=None, database=None)
@given(stamps, st.sampled_from(["seconds", "milliseconds", "microseconds"]), st.booleans())
def test_timestamps_are_the_same_instant(stamp: datetime, spec: str, zulu: bool) -> None:
    text = stamp.isoformat(timespec=spec)
    if zulu and stamp.utcoffset() == timedelta(0):
        text = text.replace("+00:00", "Z")
    for obj_type in ("datetime", "date"):
        sdk, ours = read_both(json.dumps(text), obj_type)
        assert ours == sdk
        assert type(ours) is type(sdk)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T14:29:37Z",
        "2026-11-25T14:29:37.123Z",
        "2026-11-25T14:29:37+05:30",
        "2026-11-25",
        "2026-11-25 14:29:37",
        "Wed, 25 Nov 2026 14:29:37 GMT",
        "25 November 2026",
        "not a time",
        "",
        "2026-13-45T99:99:99Z",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_odd_timestamps_read_or_fail_as_with_the_sdk(text: str) -> None:
    sdk, ours = read_both(json.dumps(text), "datetime")
    if isinstance(sdk, Exception):
        assert isinstance(ours, SerializationException)
    else:
        assert ours == sdk


def test_the_hooks_are_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """A standard timestamp never reaches dateutil; classes and plans are kept."""
    import dateutil.parser

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("dateutil was asked to parse an ISO timestamp")

    monkeypatch.setattr(dateutil.parser, "parse", refuse)
    monkeypatch.setattr(LegCheckSerializer, "_classes", {})
    monkeypatch.setattr(LegCheckSerializer, "_plans", {})
    envelope = LegCheckSerializer().deserialize(recorded()[1], RequestEnvelope)
    assert isinstance(envelope.request.timestamp, datetime)
    assert "ask_sdk_model.intent_request.IntentRequest" in LegCheckSerializer._classes
    assert RequestEnvelope in LegCheckSerializer._plans
    assert isinstance(LegCheckSerializer().deserialize('"2026-11-25"', "date"), date)


def responses_to(payloads: list[str]) -> list[Any]:
    """The skill's response envelopes (SDK objects) to ``payloads``."""
    skill = build_skill(None)
    return [
        skill.invoke(
            request_envelope=DefaultSerializer().deserialize(p, RequestEnvelope), context=None
        )
        for p in payloads
    ]


def screen_check_in() -> list[str]:
    """A check-in on an Echo Show that ends in advice: card, APL directive and all."""
    session = Session(screen=True)
    skill = build_skill(None)
    payloads = []
    for envelope in (
        session.launch(),
        session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue("Sensation", "twitching", "twitching", "twitching", "SENSATION"),
                SlotValue("BodyPart", "calves", "lower_legs", "lower legs", "BODY_PART"),
            ],
        ),
    ):
        payloads.append(json.dumps(envelope))
        session.absorb(handle_event(envelope, None, skill))
    for _ in range(6):
        envelope = session.intent("AMAZON.NoIntent")
        payloads.append(json.dumps(envelope))
        if not session.absorb(handle_event(envelope, None, skill)):
            break
    return payloads


def test_responses_are_written_as_the_sdk_writes_them() -> None:
    payloads = [
        *recorded(),
        *screen_check_in(),
        *(f.read_text(encoding="utf-8") for f in sorted(FIXTURES.glob("*.json"))),
    ]
    responses = responses_to(payloads)
    assert any(r.response.directives for r in responses), "no screen was drawn"
    assert any(r.response.card is not None for r in responses), "no card was shown"
    for response in responses:
        assert LegCheckSerializer().serialize(response) == DefaultSerializer().serialize(response)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, database=None)
@given(envelopes())
def test_responses_to_generated_envelopes_are_written_as_the_sdk_writes_them(
    envelope: dict[str, Any],
) -> None:
    try:
        request = DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)
    except SerializationException:
        return  # (the web boundary answers 400: nothing to write)
    response = build_skill(None).invoke(request_envelope=request, context=None)
    assert LegCheckSerializer().serialize(response) == DefaultSerializer().serialize(response)


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        2.5,
        True,
        "x",
        b"x",
        [1, (2, "y")],
        date(2026, 11, 25),
        datetime(2026, 11, 25, 14, 29, tzinfo=UTC),
        IntentConfirmationStatus.DENIED,
        {"a": [IntentConfirmationStatus.NONE, {"b": None}]},
    ],
)
def test_plain_values_are_written_as_the_sdk_writes_them(value: Any) -> None:
    import decimal

    for item in (value, decimal.Decimal("4"), decimal.Decimal("4.5")):
        assert LegCheckSerializer().serialize(item) == DefaultSerializer().serialize(item)


def test_the_skill_answers_with_its_own_serializer() -> None:
    skill = build_skill(None)
    assert isinstance(skill.serializer, LegCheckSerializer)
    answer = handle_event(recorded()[0], None, skill)
    assert answer["response"]["outputSpeech"]["ssml"].startswith("<speak>")
