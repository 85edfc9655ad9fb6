"""The Lambda entry point answers with the same skill as the web app."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill.tools.envelopes import Session, SlotValue
from skill.tools.lambda_zip import LAMBDA_ENTRY
from tests.support.fixtures import load_fixture


def load_entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_function", LAMBDA_ENTRY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lambda_module(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    import skill.app

    monkeypatch.setattr(skill.app, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", str(tmp_path / "lambda.sqlite3"))
    monkeypatch.setenv("LEGCHECK_USER_KEY_SECRET", "lambda-test-secret-0123456789")
    return load_entry()


def test_lambda_handler_answers_a_launch_request(lambda_module: ModuleType) -> None:
    out: dict[str, Any] = lambda_module.lambda_handler(load_fixture("launch.json"), None)
    assert out["version"] == "1.0"
    assert "How do your legs feel" in out["response"]["outputSpeech"]["ssml"]


def test_lambda_handler_holds_a_check_in(lambda_module: ModuleType) -> None:
    session = Session()
    out = lambda_module.lambda_handler(
        session.intent(
            "ReportSymptomsIntent",
            [SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")],
        ),
        None,
    )
    assert out["response"]["outputSpeech"]["ssml"].startswith(
        '<speak>Call <sub alias="nine one one">911</sub> now'
    )
    assert out["response"]["shouldEndSession"] is True


def test_lambda_uses_the_one_skill_object(lambda_module: ModuleType) -> None:
    import skill.app
    from skill.store import Deployment

    assert lambda_module.SKILL is skill.app.default_skill(Deployment.LAMBDA)
    assert "skill.app" in sys.modules


def test_lambda_answers_through_handle_event(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import skill.app

    calls: list[tuple[Any, Any, Any]] = []
    real = skill.app.handle_event

    def spy(event: Any, context: Any = None, skill: Any = None) -> dict[str, Any]:
        calls.append((event, context, skill))
        return real(event, context, skill)

    monkeypatch.setattr(skill.app, "_default", {})
    monkeypatch.setattr(skill.app, "handle_event", spy)
    monkeypatch.setenv("LEGCHECK_DB", str(tmp_path / "lambda.sqlite3"))
    monkeypatch.setenv("LEGCHECK_USER_KEY_SECRET", "lambda-test-secret-0123456789")
    module = load_entry()
    event, context = load_fixture("launch.json"), object()
    out = module.lambda_handler(event, context)
    assert calls == [(event, context, module.SKILL)]
    assert "How do your legs feel" in out["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize(
    "env,complaint",
    [
        ({}, "expected LEGCHECK_DB on AWS Lambda"),
        ({"LEGCHECK_DB": "dynamodb:legcheck"}, "expected LEGCHECK_USER_KEY_SECRET"),
        ({"LEGCHECK_DB": "/mnt/efs/checkins.sqlite3"}, "expected LEGCHECK_USER_KEY_SECRET"),
        (
            {"LEGCHECK_DB": "dynamodb:legcheck", "LEGCHECK_USER_KEY_SECRET": "short"},
            "at least 16 characters",
        ),
        ({"LEGCHECK_DB": "dynamodb"}, "expected LEGCHECK_DB to be dynamodb:TABLE"),
    ],
)
def test_a_misconfigured_entry_says_why_once_and_still_gives_the_advice(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    env: dict[str, str],
    complaint: str,
) -> None:
    import skill.app

    monkeypatch.setattr(skill.app, "_default", {})
    for name in ("LEGCHECK_DB", "LEGCHECK_USER_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level("ERROR", logger="legcheck"):
        module = load_entry()
    refusals = [r.getMessage() for r in caplog.records if "at cold start" in r.getMessage()]
    assert len(refusals) == 1 and complaint in refusals[0] and "\n" not in refusals[0]
    assert "How do your legs feel" in speech(
        module.lambda_handler(load_fixture("launch.json"), None)
    )
    session = Session()
    first = module.lambda_handler(
        session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION"),
                SlotValue("BodyPart", "calves", "lower_legs", slot_type="BODY_PART"),
            ],
        ),
        None,
    )
    session.absorb(first)
    advice = speech(module.lambda_handler(session.intent("AMAZON.NoIntent"), None))
    assert "Here's what to do" in advice
    assert "remember your check-ins" not in advice  # nothing can be kept, so it is not offered
    danger = module.lambda_handler(
        Session().intent(
            "ReportSymptomsIntent",
            [SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")],
        ),
        None,
    )
    assert speech(danger).startswith('<speak>Call <sub alias="nine one one">911</sub> now')


def speech(out: dict[str, Any]) -> str:
    text: str = out["response"]["outputSpeech"]["ssml"]
    return text


def test_the_entry_keeps_nothing_when_told_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import skill.app

    monkeypatch.setattr(skill.app, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", "off")
    monkeypatch.delenv("LEGCHECK_USER_KEY_SECRET", raising=False)
    module = load_entry()
    out = module.lambda_handler(load_fixture("launch.json"), None)
    assert "How do your legs feel" in out["response"]["outputSpeech"]["ssml"]


# ------------------------------------------------------------------ on DynamoDB


@pytest.mark.slow
def test_a_check_in_then_skill_disabled_on_dynamodb(
    monkeypatch: pytest.MonkeyPatch,
    moto_table: Any,
) -> None:
    import skill.app
    from skill.store import UserKeys

    client, name = moto_table
    monkeypatch.setattr(skill.app, "_default", {})
    monkeypatch.setenv("LEGCHECK_DB", f"dynamodb:{name}")
    monkeypatch.setenv("LEGCHECK_USER_KEY_SECRET", "lambda-dynamodb-secret-0123")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", client.meta.endpoint_url)
    module = load_entry()
    session = Session()
    envelope: Callable[[], dict[str, Any]]
    for envelope in (
        lambda: session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION"),
                SlotValue("BodyPart", "calves", "lower_legs", slot_type="BODY_PART"),
            ],
        ),
        lambda: session.intent("AMAZON.NoIntent"),
        lambda: session.intent("AMAZON.YesIntent"),
    ):
        out = module.lambda_handler(envelope(), None)
        session.absorb(out)
    assert "remember your check-ins for 30 days" in out["response"]["outputSpeech"]["ssml"]
    key = UserKeys("lambda-dynamodb-secret-0123")(session.user_id)
    items = client.scan(TableName=name)["Items"]
    assert [i["user_key"]["S"] for i in items] == [key]
    assert session.user_id not in str(items)
    gone = module.lambda_handler(session.skill_disabled(), None)
    assert gone["response"] == {}
    assert client.scan(TableName=name)["Items"] == []
