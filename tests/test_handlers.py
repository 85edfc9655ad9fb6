"""The handlers, through the skill object: speech, card and session state over whole check-ins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill

from skill import triage
from skill.app import build_skill
from skill.knowledge import load_knowledge
from skill.store import Consent, SqliteStore
from skill.strings import strings_for
from skill.tools.envelopes import Session, SlotValue
from tests.support.fixtures import load_fixture
from tests.support.runner import Runner, invoke, said, slot

KB = load_knowledge()
EN = strings_for("en-US")


@pytest.fixture
def runner(skill_obj: CustomSkill, store: SqliteStore) -> Runner:
    """A runner who agreed earlier to be remembered (the consent question itself is
    tested in tests/test_consent.py)."""
    runner = Runner(skill_obj)
    store.set_consent(store.user_key(runner.session.user_id), Consent.YES, runner.now.date())
    return runner


# ------------------------------------------------------------ fixtures from disk


def test_launch_greets_and_asks_how_the_legs_feel(skill_obj: CustomSkill) -> None:
    response = invoke(skill_obj, load_fixture("launch.json"))
    assert "How do your legs feel" in said(response)
    assert response["response"]["shouldEndSession"] is False
    assert response["response"]["reprompt"]["outputSpeech"]["ssml"]


def test_one_shot_itchy_tingling_legs_starts_with_the_safety_check(skill_obj: CustomSkill) -> None:
    response = invoke(skill_obj, load_fixture("one_shot_itchy_tingling_legs.json"))
    assert said(response) == EN.question("face_throat_breathing")
    attrs = response["sessionAttributes"]
    assert attrs["answers"] == {"itching": True, "tingling": True, "legs": True}
    assert attrs["pending"] == "face_throat_breathing"
    assert response["response"]["shouldEndSession"] is False
    assert "yes, no, or not sure" in json.dumps(response["response"]["reprompt"])


def test_danger_words_the_model_did_not_know_still_win(skill_obj: CustomSkill) -> None:
    response = invoke(skill_obj, load_fixture("one_shot_throat_closing_unmatched.json"))
    speech = said(response)
    assert speech.startswith("Call 911 now")
    assert "allergic reaction" in speech
    assert response["response"]["shouldEndSession"] is True
    assert response["response"]["card"]["title"] == EN.prompt("card_title_danger")


def test_session_ended_gets_an_empty_response(skill_obj: CustomSkill) -> None:
    response = invoke(skill_obj, load_fixture("session_ended.json"))
    assert "outputSpeech" not in response["response"]


def test_an_intent_nobody_handles_gets_a_helpful_reprompt(skill_obj: CustomSkill) -> None:
    response = invoke(skill_obj, load_fixture("unknown_intent.json"))
    assert said(response) == EN.prompt("fallback")
    assert response["response"]["shouldEndSession"] is False


# ------------------------------------------------------------ whole check-ins


def test_itchy_legs_check_in_ends_with_cool_down_advice_and_a_card(runner: Runner) -> None:
    runner.launch()
    runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    questions = runner.answer_all(False)
    # the safety screen, then the hallmark (a yes rules out lasting for days), then
    # the article's red flag
    assert questions == [
        EN.question("face_throat_breathing"),
        EN.question("fades_after_cooldown"),
        EN.question("lasts_days"),
    ]
    speech = said(runner.last)
    assert "You mentioned itching in your legs." in speech
    assert EN.cause("post_run_itch")["name"] in speech
    assert EN.advice("cool_down") in speech and EN.advice("hydrate") in speech
    assert "not a diagnosis" in speech
    card = runner.last["response"]["card"]
    assert card["type"] == "Simple" and EN.advice("cool_down") in card["content"]
    assert runner.last["response"]["shouldEndSession"] is True


CAUSE_OPENERS = {
    "low_electrolytes": [
        slot("Sensation", "twitching", "twitching"),
        slot("BodyPart", "calves", "lower_legs"),
    ],
    "neuroma": [
        slot("Sensation", "burning", "burning"),
        slot("BodyPart", "between my toes", "between_toes"),
    ],
    "compartment_syndrome": [
        slot("Sensation", "tight", "tightness"),
        slot("BodyPart", "shins", "lower_legs"),
        slot("Modifier", "worse the longer i ran", "worse_as_run_goes_on"),
    ],
    "circulation": [
        slot("Sensation", "aching", "ache"),
        slot("Modifier", "spreads up my leg", "shoots_up_leg"),
    ],
    "post_run_itch": [
        slot("Sensation", "itchy", "itching"),
        slot("Timing", "gone now", "fades_after_cooldown"),
    ],
}


@pytest.mark.parametrize("cause", [c.id for c in KB.causes])
def test_every_cause_can_be_reached_by_voice(runner: Runner, cause: str) -> None:
    runner.report(*CAUSE_OPENERS[cause])
    questions = runner.answer_all(False)
    assert len(questions) <= KB.policy.max_questions
    speech = said(runner.last)
    assert EN.prompt("may_be", cause=EN.cause(cause)["name"]) in speech
    for advice in KB.cause(cause).advice:
        assert EN.advice(advice) in speech
    assert not runner.open


@pytest.mark.parametrize("sign", KB.danger_signs, ids=lambda s: s.id)
def test_danger_sign_as_a_mid_dialog_answer_wins(runner: Runner, sign: Any) -> None:
    runner.report(slot("Sensation", "tingling", "tingling"))
    assert runner.session.attributes.get("pending")
    feature = next(f for f in sign.any_features if KB.features[f].category == "danger")
    speech = runner.report(slot("DangerSign", EN.feature(feature), feature), intent="AnswerIntent")
    assert EN.danger(sign.id) in speech
    assert ("911" in speech) and not runner.open
    assert runner.last["response"]["card"]["title"] == EN.prompt("card_title_danger")


def test_yes_to_the_safety_check_is_an_emergency(runner: Runner) -> None:
    runner.report(slot("Sensation", "hives", "hives"))
    assert runner.session.attributes["pending"] == "face_throat_breathing"
    speech = runner.say("AMAZON.YesIntent")
    assert speech.startswith("Call 911 now") and not runner.open


def test_a_short_answer_fills_in_the_place(runner: Runner) -> None:
    runner.report(slot("Sensation", "tingling", "tingling"))
    runner.report(slot("BodyPart", "between my toes", "between_toes"), intent="AnswerIntent")
    assert runner.session.attributes["answers"]["between_toes"] is True
    runner.answer_all(False)
    assert EN.cause("neuroma")["name"] in said(runner.last)


def test_pain_sends_an_ordinary_itch_to_a_doctor(runner: Runner) -> None:
    runner.report(slot("Sensation", "itchy", "itching"), slot("Modifier", "it hurts", "pain"))
    runner.answer_all(False)
    speech = said(runner.last)
    assert speech.startswith(EN.prompt("see_doctor_because", reasons=EN.red_flag("pain")))
    assert EN.advice("cool_down") in speech


GUIDED_START = " ".join(
    (EN.prompt("not_caught"), EN.prompt("guided_intro"), EN.question(KB.policy.guided_questions[0]))
)


def test_words_that_match_nothing_start_the_guided_questions(runner: Runner) -> None:
    speech = runner.report(slot("Sensation", "sparkly", None))
    assert speech == GUIDED_START
    assert runner.open
    assert runner.last["response"]["reprompt"]


def test_no_to_the_open_question_starts_the_guided_questions(runner: Runner) -> None:
    runner.launch()
    speech = runner.say("AMAZON.NoIntent")
    assert speech.endswith(EN.question(KB.policy.guided_questions[0]))
    assert runner.session.attributes["pending"] == KB.policy.guided_questions[0]


def test_a_pending_question_is_asked_at_most_twice(runner: Runner) -> None:
    runner.report(slot("Sensation", "tingling", "tingling"))
    first = runner.session.attributes["pending"]
    assert EN.question(first) in runner.say("AMAZON.FallbackIntent")
    speech = runner.say("AMAZON.FallbackIntent")
    assert speech.startswith(EN.prompt("moving_on"))
    assert runner.session.attributes.get("pending") != first
    assert runner.session.attributes["asked"].count(first) == 1


# ------------------------------------------------------------ built-ins


def test_help_at_the_start_and_during_a_question(runner: Runner) -> None:
    assert runner.say("AMAZON.HelpIntent") == EN.prompt("help")
    assert runner.open
    runner.report(slot("Sensation", "tingling", "tingling"))
    pending = runner.session.attributes["pending"]
    speech = runner.say("AMAZON.HelpIntent")
    assert speech.endswith(EN.question(pending)) and runner.open
    assert runner.session.attributes["pending"] == pending


def test_fallback_keeps_the_session_open_and_repeats_the_question(runner: Runner) -> None:
    # at the open question, words the model could not place (often a request Leg Check
    # cannot serve) first hear what it does; the guided path starts the second time
    assert runner.say("AMAZON.FallbackIntent") == EN.prompt("out_of_scope")
    assert runner.open and not runner.session.attributes.get("pending")
    assert runner.say("AMAZON.FallbackIntent") == GUIDED_START
    assert runner.open
    runner.say("AMAZON.StartOverIntent")
    runner.report(slot("Sensation", "tingling", "tingling"))
    pending = runner.session.attributes["pending"]
    speech = runner.say("AMAZON.FallbackIntent")
    assert EN.question(pending) in speech and runner.open


def test_repeat_says_the_last_thing_again(runner: Runner) -> None:
    assert runner.say("AMAZON.RepeatIntent") == EN.prompt("repeat_nothing")
    question = runner.report(slot("Sensation", "tingling", "tingling"))
    assert runner.say("AMAZON.RepeatIntent") == question
    assert runner.open


def test_start_over_forgets_the_answers(runner: Runner) -> None:
    runner.report(slot("Sensation", "tingling", "tingling"))
    assert runner.say("AMAZON.StartOverIntent") == EN.prompt("start_over")
    assert not runner.session.attributes.get("answers")
    assert not runner.session.attributes.get("pending")


@pytest.mark.parametrize(
    "intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"]
)
def test_stop_cancel_and_home_say_goodbye(runner: Runner, intent: str) -> None:
    runner.launch()
    assert runner.say(intent) == EN.prompt("goodbye")
    assert not runner.open


def test_yes_with_no_question_pending_starts_the_guided_questions(runner: Runner) -> None:
    runner.launch()
    speech = runner.say("AMAZON.YesIntent")
    assert speech == " ".join(
        (EN.prompt("guided_intro"), EN.question(KB.policy.guided_questions[0]))
    )
    assert runner.open


def test_an_internal_error_is_an_apology_not_a_crash(
    runner: Runner, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(triage, "assess", broken)
    speech = runner.report(slot("Sensation", "tingling", "tingling"))
    assert speech == EN.prompt("error")
    assert runner.open
    assert "engine exploded" in caplog.text


# ------------------------------------------------------------ memory


def _itchy_checkin(runner: Runner) -> str:
    runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    runner.answer_all(False)
    return said(runner.last)


def test_a_symptom_back_days_later_is_escalated(runner: Runner) -> None:
    first = _itchy_checkin(runner)
    assert EN.raised("lingers_for_days") not in first
    runner.new_session(days_later=3)
    second = _itchy_checkin(runner)
    # the symptom that came back is said first, then why it needs a doctor
    assert second.startswith(
        "That's the second time this month you've mentioned itching "
        "in your legs. " + EN.raised("lingers_for_days")
    )
    assert "please see a doctor" in second.lower()


def test_a_symptom_that_keeps_coming_back_is_escalated(runner: Runner) -> None:
    for day in (0, 10, 10):
        runner.new_session(days_later=day)
        speech = _itchy_checkin(runner)
    # the count stands for "it keeps coming back"
    assert speech.startswith(
        "That's the third time this month you've mentioned itching in "
        "your legs. Please see a doctor about it."
    )
    assert EN.raised("keeps_coming_back") not in speech


def test_the_same_symptom_a_few_hours_later_once_is_not_escalated(runner: Runner) -> None:
    _itchy_checkin(runner)
    runner.new_session(days_later=0.1)
    again = _itchy_checkin(runner)
    assert EN.raised("lingers_for_days") not in again
    assert EN.raised("keeps_coming_back") not in again


def test_privacy_tells_what_is_stored_and_forget_deletes_it(runner: Runner) -> None:
    _itchy_checkin(runner)
    runner.new_session()
    speech = runner.say("PrivacyIntent")
    assert "one check-in" in speech and "forget my check-ins" in speech
    assert "delete all 1" in runner.say("ForgetMeIntent")
    assert runner.say("AMAZON.YesIntent") == EN.prompt("forget_done")
    runner.new_session()
    assert runner.say("PrivacyIntent") == EN.prompt("privacy_nothing", days=30)


def test_saying_no_to_forget_keeps_the_check_ins(runner: Runner) -> None:
    _itchy_checkin(runner)
    runner.new_session()
    runner.say("ForgetMeIntent")
    assert runner.say("AMAZON.NoIntent") == EN.prompt("forget_kept")
    runner.new_session()
    assert "one check-in" in runner.say("PrivacyIntent")


def test_without_a_store_the_skill_still_works_and_says_so() -> None:
    runner = Runner(build_skill(None))
    assert runner.say("PrivacyIntent") == EN.prompt("privacy_unavailable")
    assert EN.cause("post_run_itch")["name"] in _itchy_checkin(runner)


def test_session_state_stays_small(runner: Runner) -> None:
    runner.report(slot("Sensation", "tingling", "tingling"))
    runner.answer_all(True)
    assert len(json.dumps(runner.last)) < 24 * 1024


# ------------------------------------------------------------ free words


def described(runner: Runner, words: str, intent: str = "DescribeIntent") -> str:
    return runner.report(
        SlotValue("Description", words, slot_type="AMAZON.SearchQuery", custom=False), intent=intent
    )


def test_free_words_are_read_whole(runner: Runner) -> None:
    described(runner, "left calf went numb and burny about two miles in")
    answers = runner.session.attributes["answers"]
    assert {"lower_legs", "one_leg", "numbness", "burning", "soon_after_start"} <= set(answers)


def test_a_restored_no_answers_and_the_rest_still_counts(runner: Runner) -> None:
    described(runner, "legs are tingling")
    pending = runner.session.attributes["pending"]
    described(runner, "it comes and goes", intent="NoDescribeIntent")
    answers = runner.session.attributes["answers"]
    assert answers[pending] is False and answers["comes_and_goes"] is True


def test_a_restored_not_denies_what_follows(runner: Runner) -> None:
    described(runner, "legs are tingling")
    described(runner, "hurt at all", intent="NotDescribeIntent")
    assert runner.session.attributes["answers"]["pain"] is False


def test_not_sure_moves_on_without_an_answer(runner: Runner) -> None:
    described(runner, "legs are tingling")
    pending = runner.session.attributes["pending"]
    speech = described(runner, "to be honest", intent="UnsureDescribeIntent")
    assert pending not in runner.session.attributes["answers"]
    assert runner.session.attributes.get("pending") != pending
    assert "catch" not in speech


def test_a_denied_danger_sign_gets_one_short_confirmation(runner: Runner) -> None:
    described(runner, "legs are itchy")
    speech = described(runner, "chest pain and my breathing is fine", intent="NoDescribeIntent")
    assert speech.startswith("Okay, no trouble breathing and no chest pain.")
    again = described(runner, "no chest pain at all")
    assert "no chest pain" not in again.lower()


def test_a_limping_runner_hears_see_a_doctor_first_and_never_keep_moving(runner: Runner) -> None:
    described(runner, "legs are numb and I'm limping")
    runner.answer_all(False)
    speech = said(runner.last)
    assert speech.startswith(EN.prompt("see_doctor_because", reasons=EN.red_flag("cant_walk")))
    assert EN.advice("cool_down") not in speech


def test_what_was_said_is_never_asked(runner: Runner) -> None:
    described(runner, "shins have been tight for days and it builds and builds until I stop")
    questions = runner.answer_all(False)
    assert EN.question("lasts_days") not in questions
    assert EN.question("worse_as_run_goes_on") not in questions


def test_unknown_session_attributes_are_dropped_and_bad_ones_repaired(
    skill_obj: CustomSkill,
) -> None:
    session = Session(
        attributes={
            "answers": {"tingling": "yes", "itching": True},
            "pending": 7,
            "asked": "lasts_days",
            "junk": "x" * 5000,
            "last": {"speech": ["\x00" * 9000]},
        },
        new=False,
    )
    response = invoke(skill_obj, session.intent("AMAZON.RepeatIntent"))
    attrs = response["sessionAttributes"]
    assert "junk" not in attrs and attrs["answers"] == {"itching": True}
    assert attrs["pending"] is None and attrs["asked"] == []
    assert said(response) == EN.prompt("repeat_nothing")


def test_repeat_never_replays_more_sentences_than_the_skill_says(skill_obj: CustomSkill) -> None:
    session = Session(attributes={"last": {"speech": ["a"] * 2000}}, new=False)
    response = invoke(skill_obj, session.intent("AMAZON.RepeatIntent"))
    assert said(response) == EN.prompt("repeat_nothing")


# ------------------------------------------------------------ said by a tired runner
# (each of these once came out wrong, or might have: first heard in a fresh clone)


def test_two_complaints_in_one_breath_are_both_answered(runner: Runner) -> None:
    described(runner, "calves are twitching and my feet feel kind of burny")
    runner.answer_all(False)
    speech, card = said(runner.last), runner.last["response"]["card"]["content"]
    for cause in ("low_electrolytes", "neuroma"):
        assert EN.cause(cause)["name"] in speech, speech
    assert EN.advice("sports_drink") in card and EN.advice("podiatrist") in card


def test_yeah_kind_of_is_a_yes(runner: Runner) -> None:
    described(runner, "calves are twitching and my feet feel kind of burny")
    described(runner, "not for a day no", intent="DescribeIntent")
    pending = runner.session.attributes["pending"]
    described(runner, "kind of, mostly at the start", intent="YesDescribeIntent")
    assert runner.session.attributes["answers"][pending] is True


def test_since_tuesday_is_said_once_as_a_red_flag(runner: Runner) -> None:
    described(runner, "shins have ached since Tuesday and they're still stiff")
    runner.answer_all(False)
    speech = said(runner.last)
    assert speech.startswith(EN.prompt("see_doctor_because", reasons=EN.red_flag("lasts_days")))
    assert speech.count(EN.red_flag("lasts_days")) == 1


def test_a_danger_sign_halfway_through_an_answer_wins(runner: Runner) -> None:
    described(runner, "quads are cramping and tingling")
    assert runner.session.attributes["pending"]
    speech = described(
        runner,
        "and uh I'm getting this crushing feeling in my chest and my left arm",
        intent="NoDescribeIntent",
    )
    assert speech.startswith("Call 911 now") and not runner.open


def test_heavy_legs_and_fat_ankles_get_the_clot_question_first(runner: Runner) -> None:
    speech = described(
        runner,
        "honestly they just feel dead heavy and my ankles look fatter than usual",
        intent="DescribeIntent",
    )
    assert speech == EN.question("calf_hot_swollen")


# -- a safety check is not dropped for words about something else ----------------------------


def _clot_check(runner: Runner) -> str:
    runner.report(
        slot("BodyPart", "calves", "lower_legs"),
        slot("Sensation", "tight", "tightness"),
        slot("SecondSensation", "swollen", "swelling"),
    )
    assert runner.session.attributes["pending"] == "calf_hot_swollen"
    return said(runner.last)


def test_a_safety_check_answered_with_other_words_is_asked_once_more() -> None:
    runner = Runner(build_skill(None))
    check = _clot_check(runner)
    again = runner.report(slot("Modifier", "walking's okay", None), intent="AnswerIntent")
    assert again == f"{EN.prompt('safety_check_again')} {check}"
    assert runner.session.attributes["answers"]["cant_walk"] is False  # the words still count
    moved_on = runner.report(slot("Modifier", "walking's okay", None), intent="AnswerIntent")
    assert check not in moved_on and runner.open  # asked twice at most, then on


def test_a_danger_in_the_other_words_wins_over_asking_again() -> None:
    runner = Runner(build_skill(None))
    _clot_check(runner)
    answer = runner.report(
        slot("DangerSign", "my chest hurts", "chest_pain"), intent="AnswerIntent"
    )
    assert answer.startswith(EN.advice("call_emergency")) and not runner.open


def test_not_sure_about_a_safety_check_is_not_asked_again() -> None:
    runner = Runner(build_skill(None))
    check = _clot_check(runner)
    assert check not in runner.report(slot("Modifier", "not sure", None), intent="AnswerIntent")


def test_a_safety_check_pending_without_being_listed_as_asked_is_asked_again() -> None:
    """Session state is repaired, not trusted: a pending check missing from ``asked``."""
    session = Session()
    session.new = False
    session.attributes = {
        "answers": {"tightness": True, "lower_legs": True, "swelling": True},
        "pending": "calf_hot_swollen",
    }
    runner = Runner(build_skill(None), session)
    again = runner.report(slot("Modifier", "walking's okay", None), intent="AnswerIntent")
    assert again.startswith(EN.prompt("safety_check_again"))
    assert runner.session.attributes["pending"] == "calf_hot_swollen"
