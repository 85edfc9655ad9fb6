"""The memory dialog: consent first, stop remembering, "how have my legs been", and a
symptom that comes back, through the skill object with a real SQLite store."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.app import build_skill
from skill.errors import StoreUnavailableError
from skill.store import CheckIn, Consent, Record, SqliteStore
from skill.strings import strings_for
from tests.support.fixtures import NOW
from tests.support.runner import Runner, said, slot
from tests.support.stores import FailingStore

EN = strings_for("en-US")
DAYS = 30
ASK = EN.prompt("consent_ask", days=DAYS)


@pytest.fixture
def runner(store: SqliteStore) -> Runner:
    return Runner(build_skill(store), now=NOW)


def record_of(store: SqliteStore, runner: Runner) -> Record:
    return store.load(store.user_key(runner.session.user_id), runner.now.date())


def twitching(runner: Runner) -> str:
    """A twitching-calves check-in up to its advice."""
    runner.report(
        slot("Sensation", "twitching", "twitching"), slot("BodyPart", "calves", "lower_legs")
    )
    runner.answer_all(False)
    return said(runner.last)


def itchy(runner: Runner) -> str:
    runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    runner.answer_all(False)
    return said(runner.last)


# ------------------------------------------------------------------ consent first


def test_the_first_advice_asks_once_and_keeps_nothing_until_yes(
    runner: Runner, store: SqliteStore
) -> None:
    advice = twitching(runner)
    assert EN.cause("low_electrolytes")["name"] in advice
    assert advice.endswith(ASK)
    assert runner.open and runner.last["response"]["shouldEndSession"] is False
    assert said(
        {"response": {"outputSpeech": runner.last["response"]["reprompt"]["outputSpeech"]}}
    ) == EN.prompt("consent_reprompt", days=DAYS)
    card = runner.last["response"]["card"]
    assert "low electrolytes" in card["title"] and ASK not in card["content"]
    assert record_of(store, runner) == Record()  # nothing before a yes

    assert runner.say("AMAZON.YesIntent") == EN.prompt("consent_yes", days=DAYS)
    assert not runner.open
    record = record_of(store, runner)
    assert record.consent is Consent.YES
    assert record.checkins == (
        CheckIn(NOW.date(), ("lower_legs", "twitching"), "low_electrolytes", "self_care"),
    )

    runner.new_session(days_later=10)
    again = itchy(runner)
    assert ASK not in again and not runner.open  # asked once
    assert len(record_of(store, runner).checkins) == 2


def test_no_is_kept_as_a_refusal_and_not_asked_again(runner: Runner, store: SqliteStore) -> None:
    twitching(runner)
    assert runner.say("AMAZON.NoIntent") == EN.prompt("consent_no")
    assert not runner.open
    assert record_of(store, runner) == Record(Consent.NO, (), NOW.date())
    runner.new_session(days_later=1)
    advice = twitching(runner)
    assert ASK not in advice and not runner.open
    assert record_of(store, runner).checkins == ()
    # the raw user id is nowhere in the database, only its keyed hash
    store.close()
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    assert runner.session.user_id.encode() not in raw
    assert store.user_key(runner.session.user_id).encode() in raw


def test_a_refusal_expires_with_everything_else(runner: Runner, store: SqliteStore) -> None:
    twitching(runner)
    runner.say("AMAZON.NoIntent")
    runner.new_session(days_later=DAYS + 1)
    assert twitching(runner).endswith(ASK)


def test_danger_advice_ends_at_once_without_asking(runner: Runner, store: SqliteStore) -> None:
    speech = runner.report(slot("DangerSign", "my chest hurts", "chest_pain"))
    assert speech.startswith("Call 911 now") and ASK not in speech
    assert not runner.open
    assert record_of(store, runner) == Record()


def test_danger_advice_is_kept_for_a_runner_who_agreed(runner: Runner, store: SqliteStore) -> None:
    store.set_consent(store.user_key(runner.session.user_id), Consent.YES, NOW.date())
    runner.report(slot("DangerSign", "my chest hurts", "chest_pain"))
    [kept] = record_of(store, runner).checkins
    assert kept.cause == "chest_or_breathing" and kept.level == "emergency"


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent"])
def test_leaving_instead_of_answering_keeps_nothing(
    runner: Runner, store: SqliteStore, intent: str
) -> None:
    twitching(runner)
    assert runner.say(intent) == EN.prompt("goodbye")
    assert record_of(store, runner) == Record()


def test_help_and_unclear_words_while_asked(runner: Runner, store: SqliteStore) -> None:
    twitching(runner)
    assert runner.say("AMAZON.HelpIntent") == EN.prompt("consent_help", days=DAYS)
    assert runner.say("AMAZON.FallbackIntent") == EN.prompt("consent_reprompt", days=DAYS)
    assert runner.say("AMAZON.RepeatIntent") == EN.prompt("consent_reprompt", days=DAYS)
    assert runner.open
    assert runner.say("AMAZON.YesIntent") == EN.prompt("consent_yes", days=DAYS)
    assert record_of(store, runner).consent is Consent.YES


def test_a_new_symptom_instead_of_an_answer_starts_a_new_check_in(
    runner: Runner, store: SqliteStore
) -> None:
    twitching(runner)
    speech = runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    assert speech.startswith("First, a safety check.")
    assert runner.session.attributes["answers"] == {"itching": True, "legs": True}
    assert "consent" not in runner.session.attributes
    assert record_of(store, runner) == Record()


def test_a_check_in_whose_record_cannot_be_read_asks_nothing_and_writes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = FailingStore(
        fail_read=StoreUnavailableError("disk gone"), fail_write=StoreUnavailableError("disk gone")
    )
    runner = Runner(build_skill(failing), now=NOW)
    with caplog.at_level(logging.ERROR):
        advice = twitching(runner)
    assert EN.cause("low_electrolytes")["name"] in advice and ASK not in advice
    assert not runner.open and failing.appended == []
    assert "could not read stored check-ins" in caplog.text


def test_a_store_that_cannot_be_written_is_not_asked_to_remember() -> None:
    failing = FailingStore(fail_write=StoreUnavailableError("read-only"))
    failing.load = lambda user_key, today: Record()  # type: ignore[method-assign]
    runner = Runner(build_skill(failing), now=NOW)
    advice = twitching(runner)
    assert EN.cause("low_electrolytes")["name"] in advice and ASK not in advice
    assert not runner.open


def test_a_yes_that_cannot_be_saved_says_so() -> None:
    failing = FailingStore()
    failing.load = lambda user_key, today: Record()  # type: ignore[method-assign]
    runner = Runner(build_skill(failing), now=NOW)
    assert twitching(runner).endswith(ASK)
    failing.fail_write = StoreUnavailableError("read-only")  # between the question and the yes
    assert runner.say("AMAZON.YesIntent") == EN.prompt("consent_not_saved")
    assert not runner.open


def test_without_a_store_nothing_is_asked() -> None:
    runner = Runner(build_skill(None), now=NOW)
    assert ASK not in twitching(runner)
    assert not runner.open


# ------------------------------------------------------------------ stop remembering, forget


def agree_and_check_in(runner: Runner) -> None:
    twitching(runner)
    runner.say("AMAZON.YesIntent")
    runner.new_session()


def test_stop_remembering_deletes_the_check_ins_and_keeps_the_refusal(
    runner: Runner, store: SqliteStore
) -> None:
    agree_and_check_in(runner)
    assert runner.say("StopRememberingIntent") == EN.prompt("stop_remembering_done")
    assert not runner.open
    assert record_of(store, runner) == Record(Consent.NO, (), NOW.date())
    runner.new_session()
    assert runner.say("StopRememberingIntent") == EN.prompt("stop_remembering_none")
    runner.new_session()
    assert ASK not in twitching(runner)
    runner.new_session()
    assert runner.say("PrivacyIntent") == EN.prompt("privacy_refused", days=DAYS)


def test_stop_remembering_works_mid_check_in_and_while_asked(
    runner: Runner, store: SqliteStore
) -> None:
    runner.report(slot("Sensation", "itchy", "itching"), slot("BodyPart", "legs", "legs"))
    assert runner.say("StopRememberingIntent") == EN.prompt("stop_remembering_none")
    runner.new_session()
    store.delete(store.user_key(runner.session.user_id))
    twitching(runner)
    assert runner.say("StopRememberingIntent") == EN.prompt("stop_remembering_none")
    assert record_of(store, runner).consent is Consent.NO


def test_stop_remembering_deletes_an_unreadable_record(runner: Runner, store: SqliteStore) -> None:
    from tests.support.stores import corrupt

    corrupt(store, store.user_key(runner.session.user_id))
    assert runner.say("StopRememberingIntent") == EN.prompt("stop_remembering_done")
    assert record_of(store, runner) == Record(Consent.NO, (), NOW.date())


def test_forget_deletes_a_refusal_too_so_the_runner_is_asked_again(
    runner: Runner, store: SqliteStore
) -> None:
    twitching(runner)
    runner.say("AMAZON.NoIntent")
    runner.new_session()
    assert runner.say("ForgetMeIntent") == EN.prompt("forget_nothing")  # no check-ins kept
    store.append(
        store.user_key(runner.session.user_id),
        CheckIn.of(NOW.date(), ["cramp"], "low_electrolytes", "self_care"),
        Consent.YES,
    )
    runner.new_session()
    assert "delete all 1" in runner.say("ForgetMeIntent")
    assert runner.say("AMAZON.YesIntent") == EN.prompt("forget_done")
    assert record_of(store, runner) == Record()
    runner.new_session()
    assert twitching(runner).endswith(ASK)


# ------------------------------------------------------------------ start remembering


def test_start_remembering_after_a_no_keeps_the_next_check_ins(
    runner: Runner, store: SqliteStore
) -> None:
    twitching(runner)
    runner.say("AMAZON.NoIntent")
    assert record_of(store, runner).consent is Consent.NO
    runner.new_session()
    assert runner.say("PrivacyIntent").endswith("If you change your mind, say, start remembering.")
    runner.new_session()
    assert runner.say("StartRememberingIntent") == EN.prompt("start_remembering_done", days=DAYS)
    assert not runner.open
    assert record_of(store, runner) == Record(Consent.YES, (), NOW.date())
    runner.new_session()
    assert ASK not in twitching(runner)
    assert [c.cause for c in record_of(store, runner).checkins] == ["low_electrolytes"]


def test_start_remembering_when_already_remembered_changes_nothing(
    runner: Runner, store: SqliteStore
) -> None:
    agree_and_check_in(runner)
    before = record_of(store, runner)
    assert runner.say("StartRememberingIntent") == EN.prompt("start_remembering_already", days=DAYS)
    assert record_of(store, runner) == before and len(before.checkins) == 1


def test_start_remembering_while_asked_is_a_yes(runner: Runner, store: SqliteStore) -> None:
    assert twitching(runner).endswith(ASK)
    assert runner.say("StartRememberingIntent") == EN.prompt("consent_yes", days=DAYS)
    assert len(record_of(store, runner).checkins) == 1


def test_start_remembering_mid_check_in_asks_the_waiting_question_again(
    runner: Runner, store: SqliteStore
) -> None:
    runner.report(
        slot("Sensation", "twitching", "twitching"), slot("BodyPart", "calves", "lower_legs")
    )
    question = said(runner.last)
    answer = runner.say("StartRememberingIntent")
    assert answer.startswith(EN.prompt("start_remembering_done", days=DAYS))
    assert answer.endswith(question) and runner.open
    runner.answer_all(False)
    assert ASK not in said(runner.last)
    assert len(record_of(store, runner).checkins) == 1


def test_start_remembering_that_cannot_be_kept_says_so() -> None:
    failing = FailingStore(
        fail_read=StoreUnavailableError("disk gone"), fail_write=StoreUnavailableError("disk gone")
    )
    runner = Runner(build_skill(failing), now=NOW)
    assert runner.say("StartRememberingIntent") == EN.prompt("consent_not_saved")
    runner = Runner(build_skill(None), now=NOW)
    assert runner.say("StartRememberingIntent") == EN.prompt("privacy_unavailable")


def test_memory_requests_with_no_store_say_nothing_is_kept() -> None:
    runner = Runner(build_skill(None), now=NOW)
    assert runner.say("StopRememberingIntent") == EN.prompt("privacy_unavailable")
    runner.new_session()
    assert runner.say("HistorySummaryIntent") == EN.prompt("privacy_unavailable")


# ------------------------------------------------------------------ how have my legs been


def test_how_have_my_legs_been_sums_up_the_recent_check_ins(
    runner: Runner, store: SqliteStore
) -> None:
    key = store.user_key(runner.session.user_id)
    for days, features, cause in (
        (40, ["cramp", "lower_legs"], "low_electrolytes"),
        (12, ["tingling", "lower_legs"], "post_run_itch"),
        (5, ["itching", "legs"], "post_run_itch"),
        (2, ["tingling", "lower_legs", "during_run"], "unclear"),
        (1, ["tingling", "lower_legs"], "low_electrolytes"),
    ):
        store.append(
            key,
            CheckIn.of(NOW.date() - timedelta(days=days), features, cause, "self_care"),
            Consent.YES,
        )
    speech = runner.say("HistorySummaryIntent")
    assert speech == (
        "In the last 30 days, I have 4 check-ins from you: tingling in your shins or calves "
        "3 times and itching in your legs once. The last one was yesterday, and it looked "
        "like low electrolytes."
    )
    assert not runner.open
    assert runner.last["response"]["card"]["title"] == EN.prompt("card_title_history")


def test_the_summary_of_nothing_and_of_a_refusal(runner: Runner, store: SqliteStore) -> None:
    assert runner.say("HistorySummaryIntent") == EN.prompt("history_none", days=DAYS)
    key = store.user_key(runner.session.user_id)
    store.append(key, CheckIn.of(NOW.date(), ["cramp"], "unclear", "self_care"), Consent.YES)
    runner.new_session()
    assert runner.say("HistorySummaryIntent") == (
        "In the last 30 days, I have one check-in from you: cramp once. The last one was today."
    )
    store.set_consent(key, Consent.NO, NOW.date())
    runner.new_session()
    assert runner.say("HistorySummaryIntent") == EN.prompt("history_refused")


# ------------------------------------------------------------------ a symptom that comes back


@pytest.mark.parametrize(
    "earlier,said_first",
    [
        (
            1,
            "That's the second time this month you've mentioned twitching in your shins or calves.",
        ),
        (2, "That's the third time this month you've mentioned twitching in your shins or calves."),
        (6, "You've mentioned twitching in your shins or calves 7 times this month."),
    ],
)
def test_a_symptom_that_comes_back_is_said_before_the_advice(
    runner: Runner, store: SqliteStore, earlier: int, said_first: str
) -> None:
    key = store.user_key(runner.session.user_id)
    for n in range(earlier):
        store.append(
            key,
            CheckIn.of(
                NOW.date() - timedelta(days=20 - n),
                ["twitching", "feet"],
                "low_electrolytes",
                "self_care",
            ),
            Consent.YES,
        )
    advice = twitching(runner)
    assert advice.startswith(said_first)
    assert EN.cause("low_electrolytes")["name"] in advice


def test_a_symptom_from_before_the_window_or_another_symptom_is_not_said(
    runner: Runner, store: SqliteStore
) -> None:
    key = store.user_key(runner.session.user_id)
    store.append(
        key,
        CheckIn.of(NOW.date() - timedelta(days=31), ["twitching"], "x", "self_care"),
        Consent.YES,
    )
    store.append(key, CheckIn.of(NOW.date() - timedelta(days=3), ["cramp"], "x", "self_care"))
    advice = twitching(runner)
    assert "this month" not in advice
    assert advice.startswith("You mentioned twitching")


def test_a_check_in_naming_no_cause_is_kept_as_unclear(runner: Runner, store: SqliteStore) -> None:
    store.set_consent(store.user_key(runner.session.user_id), Consent.YES, NOW.date())
    runner.report(slot("Sensation", "tight", "tightness"), slot("BodyPart", "calves", "lower_legs"))
    runner.answer_all(False)
    assert EN.prompt("unclear") in said(runner.last)
    [kept] = record_of(store, runner).checkins
    assert kept.cause == "unclear"


def test_skill_disabled_after_consent_deletes_it_all(
    runner: Runner, store: SqliteStore, skill_obj: CustomSkill
) -> None:
    agree_and_check_in(runner)
    runner.send(runner.session.skill_disabled(NOW))
    assert record_of(store, runner) == Record()
