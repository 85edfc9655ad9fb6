"""The follow-up through the skill object: "open leg check" a day after a check-in asks
whether the complaint is still there, and the yes, no and help handlers gated on that
question answer it (the policy itself is tested in tests/test_dialogue.py)."""

from __future__ import annotations

import pytest
from ask_sdk_core.skill import CustomSkill

from skill import handlers
from skill.history import RESOLVED
from skill.store import CheckIn, Consent, SqliteStore
from skill.strings import strings_for
from tests.support.runner import Runner, slot

EN = strings_for("en-US")
ASKED = "Yesterday you told me about tingling in your shins or calves. Is it still there?"
LASTED_DOCTOR = EN.prompt("see_doctor_because", reasons=EN.red_flag("lasts_days"))


@pytest.fixture
def runner(skill_obj: CustomSkill, store: SqliteStore) -> Runner:
    """A runner who agreed to be remembered, told of tingling shins, and is back a day later."""
    runner = Runner(skill_obj)
    key = store.user_key(runner.session.user_id)
    told = CheckIn.of(runner.now.date(), ("lower_legs", "tingling"), "unclear", "self_care")
    store.append(key, told, Consent.YES)
    runner.new_session(days_later=1)
    return runner


def kept(store: SqliteStore, runner: Runner) -> tuple[CheckIn, ...]:
    return store.load(store.user_key(runner.session.user_id), runner.now.date()).checkins


def test_the_gated_handlers_come_before_the_general_yes_no_and_help() -> None:
    order = handlers.REQUEST_HANDLERS
    for gated, general in (
        (handlers.FollowUpYesIntentHandler, handlers.YesIntentHandler),
        (handlers.FollowUpNoIntentHandler, handlers.NoIntentHandler),
        (handlers.FollowUpHelpIntentHandler, handlers.HelpIntentHandler),
    ):
        assert gated.intent == general.intent
        assert order.index(gated) < order.index(general)


def test_the_launch_asks_and_the_session_carries_the_question(runner: Runner) -> None:
    assert runner.launch() == ASKED
    assert runner.open
    attrs = runner.session.attributes
    assert attrs["follow_up"]["features"] == ["lower_legs", "tingling"]
    assert attrs["follow_up"]["days"] == 1 and attrs["pending"] is None
    reprompt = runner.last["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert EN.prompt("follow_up_reprompt") in reprompt


def test_yes_is_still_there_and_sends_the_runner_to_a_doctor(
    runner: Runner, store: SqliteStore
) -> None:
    runner.launch()
    speech = runner.say("AMAZON.YesIntent")
    assert speech.startswith(LASTED_DOCTOR)
    assert not runner.open and runner.last["response"]["card"]
    assert kept(store, runner)[-1].level == "doctor"


def test_no_is_gone_kept_and_welcomed(runner: Runner, store: SqliteStore) -> None:
    runner.launch()
    assert runner.say("AMAZON.NoIntent") == EN.prompt("follow_up_gone")
    assert not runner.open
    assert kept(store, runner)[-1].level == RESOLVED
    runner.new_session()
    assert runner.launch() == EN.prompt("launch")  # not asked again
    summary = runner.say("HistorySummaryIntent")
    assert summary.startswith("In the last 30 days, I have one check-in from you")
    assert summary.endswith(EN.prompt("history_last_gone", when="today"))


def test_help_fallback_and_repeat_keep_the_question(runner: Runner) -> None:
    runner.launch()
    assert runner.say("AMAZON.HelpIntent") == EN.prompt("follow_up_help", question=ASKED)
    assert runner.say("AMAZON.RepeatIntent") == ASKED
    assert runner.say("AMAZON.FallbackIntent") == EN.prompt(
        "fallback_during_question", question=ASKED
    )
    assert runner.open and runner.session.attributes["follow_up"]
    assert runner.say("AMAZON.YesIntent").startswith(LASTED_DOCTOR)


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_stop_ends_and_keeps_nothing(runner: Runner, store: SqliteStore, intent: str) -> None:
    runner.launch()
    assert runner.say(intent) == EN.prompt("goodbye")
    assert not runner.open and len(kept(store, runner)) == 1


def test_a_danger_sign_instead_of_an_answer_is_the_emergency(
    runner: Runner, store: SqliteStore
) -> None:
    runner.launch()
    speech = runner.report(slot("DangerSign", "my chest hurts", "chest_pain"))
    assert speech.startswith(EN.advice("call_emergency"))
    assert not runner.open
    assert kept(store, runner)[-1].level == "emergency"


def test_a_new_symptom_instead_of_an_answer_is_a_check_in(runner: Runner) -> None:
    runner.launch()
    runner.report(
        slot("Sensation", "twitching", "twitching"), slot("BodyPart", "calves", "lower_legs")
    )
    attrs = runner.session.attributes
    assert "follow_up" not in attrs and attrs["answers"]["twitching"] is True
    assert runner.open and attrs["pending"]


def test_a_one_shot_the_next_day_is_a_check_in_not_a_follow_up(runner: Runner) -> None:
    speech = runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    assert speech != ASKED and "follow_up" not in runner.session.attributes


@pytest.mark.parametrize("level", ["self_care", None])
def test_a_yes_is_still_there_only_while_a_follow_up_waits(
    runner: Runner, level: str | None
) -> None:
    follow_up = {"features": ["lower_legs", "tingling"], "cause": "unclear", "days": 1}
    if level is not None:
        follow_up["level"] = level
    runner.session.attributes["follow_up"] = follow_up
    speech = runner.say("AMAZON.YesIntent")
    if level is None:  # a forged question is dropped: the yes starts the guided path
        assert EN.prompt("guided_intro") in speech
    else:
        assert speech.startswith(LASTED_DOCTOR)


def test_a_privacy_request_drops_the_question_unanswered(
    runner: Runner, store: SqliteStore
) -> None:
    runner.launch()
    assert "one check-in" in runner.say("PrivacyIntent")
    assert runner.open and "follow_up" not in runner.session.attributes
    assert EN.prompt("guided_intro") in runner.say("AMAZON.YesIntent")  # not "still there"
    assert len(kept(store, runner)) == 1
