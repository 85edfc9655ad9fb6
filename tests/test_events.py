"""Skill events: SkillDisabled deletes the runner's data; events carry no session."""

from __future__ import annotations

import logging

import pytest
from ask_sdk_core.skill import CustomSkill
from flask.testing import FlaskClient

from skill.app import build_skill
from skill.errors import StoreUnavailableError
from skill.store import CheckIn, Consent, SqliteStore
from skill.tools.envelopes import Session
from skill.web import create_app
from tests.support.fixtures import NOW
from tests.support.runner import invoke
from tests.support.stores import FailingStore


def remember_someone(store: SqliteStore, session: Session) -> str:
    key = store.user_key(session.user_id)
    store.append(
        key, CheckIn.of(NOW.date(), ["itching", "legs"], "post_run_itch", "self_care"), Consent.YES
    )
    return key


def test_skill_disabled_deletes_the_runners_data(
    store: SqliteStore, skill_obj: CustomSkill
) -> None:
    runner, other = Session(), Session()
    key = remember_someone(store, runner)
    other_key = remember_someone(store, other)
    event = runner.skill_disabled(NOW)
    assert "session" not in event
    out = invoke(skill_obj, event)
    assert "outputSpeech" not in out["response"]
    assert "sessionAttributes" not in out
    assert store.read(key, NOW.date()) == []
    assert store.delete(key) is False
    assert len(store.read(other_key, NOW.date())) == 1


def test_skill_disabled_for_someone_with_nothing_stored_is_fine(skill_obj: CustomSkill) -> None:
    out = invoke(skill_obj, Session().skill_disabled(NOW, persisted=True))
    assert out["response"] == {}


def test_skill_disabled_without_a_store_is_fine() -> None:
    out = invoke(build_skill(None), Session().skill_disabled(NOW))
    assert out["response"] == {}


def test_a_failing_delete_is_logged_and_answered_without_a_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FailingStore(fail_write=StoreUnavailableError("table unreachable"))
    event = Session().skill_disabled(NOW)
    with caplog.at_level(logging.ERROR, logger="legcheck.events"):
        out = invoke(build_skill(store), event)
    assert out["response"] == {} and "sessionAttributes" not in out
    assert "AlexaSkillEvent.SkillDisabled" in caplog.text
    assert event["request"]["requestId"] in caplog.text
    assert "table unreachable" in caplog.text


def test_other_skill_events_are_acknowledged(skill_obj: CustomSkill) -> None:
    event = Session().skill_disabled(NOW)
    event["request"]["type"] = "AlexaSkillEvent.SkillEnabled"
    del event["request"]["body"]
    assert invoke(skill_obj, event)["response"] == {}


def test_skill_disabled_over_http(store: SqliteStore, client: FlaskClient) -> None:
    runner = Session()
    key = remember_someone(store, runner)
    reply = client.post("/", json=runner.skill_disabled(NOW))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["response"] == {}
    assert store.read(key, NOW.date()) == []


def test_skill_disabled_over_http_when_the_store_fails() -> None:
    app = create_app(
        {
            "TESTING": True,
            "LEGCHECK_VERIFY": False,
            "LEGCHECK_SKILL": build_skill(FailingStore(fail_write=StoreUnavailableError("gone"))),
        }
    )
    reply = app.test_client().post("/", json=Session().skill_disabled(NOW))
    assert reply.status_code == 200
    assert reply.get_json()["response"] == {}
