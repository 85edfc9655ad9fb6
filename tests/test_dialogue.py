"""The follow-up policy (:mod:`skill.dialogue`) as plain functions of a turn: a runner who
agreed to be remembered opens the skill within a few days of a complaint and is asked
whether it is still there. No handler, no skill invocation: each turn is a
:class:`~skill.dialogue.Turn` over a real SQLite store, the state carried between turns as
the session would carry it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from skill import dialogue
from skill.app import build_skill, read_event
from skill.dialogue import EASED, LASTED, Reply, Turn
from skill.errors import StoreUnavailableError
from skill.history import FOLLOW_UP_DAYS, RESOLVED
from skill.interpret import interpret
from skill.knowledge import load_knowledge
from skill.lexicon import load_lexicon
from skill.memory import Memory
from skill.state import DialogState
from skill.store import CheckIn, CheckInStore, Consent, SqliteStore
from skill.strings import REQUIRED_PROMPTS, strings_for
from skill.tools.envelopes import Session
from tests.support.fixtures import NOW, TODAY
from tests.support.stores import FailingStore, sqlite_store

KB = load_knowledge()
EN = strings_for("en-US")
LEX = load_lexicon("en")
READER = build_skill(None)  # (only its serializer: to read the envelopes a Memory is given)

TINGLING = ("lower_legs", "tingling")
ASKED = "Yesterday you told me about tingling in your shins or calves. Is it still there?"
LASTED_DOCTOR = EN.prompt("see_doctor_because", reasons=EN.red_flag(LASTED))


class Back:
    """A runner back at the skill: their stored record, and their turns one by one."""

    def __init__(
        self,
        store: CheckInStore,
        days_ago: int = 1,
        features: Sequence[str] = TINGLING,
        cause: str = "unclear",
        level: str = "self_care",
        consent: Consent | None = Consent.YES,
    ) -> None:
        self.store = store
        self.session = Session()
        self.key = store.user_key(self.session.user_id)
        self.state = DialogState()
        told = CheckIn.of(TODAY - timedelta(days=days_ago), features, cause, level)
        if consent is not None and not isinstance(store, FailingStore):
            store.append(self.key, told, consent)

    def turn(self) -> Turn:
        # each request its own memory; the state as the session carries it back
        self.state = DialogState.read(self.state.to_attributes(), KB)
        memory = Memory(self.store, read_event(self.session.launch(NOW), READER))
        return Turn(self.state, EN, memory, NOW, True)

    def open(self) -> Reply:
        return dialogue.follow_up_or_launch(self.turn())

    def answer(self, still_there: bool) -> Reply:
        return dialogue.follow_up_answer(self.turn(), still_there)

    def say(self, words: str) -> Reply:
        heard = interpret([words], self.state.pending, KB, LEX)
        return dialogue.take_turn(self.turn(), heard)

    def kept(self) -> tuple[CheckIn, ...]:
        return self.store.load(self.key, TODAY).checkins


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return sqlite_store(tmp_path / "checkins.sqlite3")


# ------------------------------------------------------------------ the question


def test_back_the_next_day_the_runner_is_asked_about_the_complaint(store: SqliteStore) -> None:
    back = Back(store)
    reply = back.open()
    assert reply.spoken.text == ASKED
    assert reply.reprompt is not None
    assert reply.reprompt.text == EN.prompt("follow_up_reprompt")
    assert not reply.end and not reply.card
    assert back.state.follow_up is not None and back.state.follow_up.days_ago == 1
    assert back.state.pending is None


@pytest.mark.parametrize(
    "days,opening",
    [
        (0, "Earlier today you told me"),
        (1, "Yesterday you told me"),
        (2, "Two days ago you told me"),
        (3, "Three days ago you told me"),
    ],
)
def test_the_question_says_when(store: SqliteStore, days: int, opening: str) -> None:
    assert Back(store, days).open().spoken.text.startswith(opening)


def test_every_day_of_the_window_has_its_words() -> None:
    assert {f"follow_up_{d}" for d in range(FOLLOW_UP_DAYS + 1)} <= set(REQUIRED_PROMPTS)


@pytest.mark.parametrize(
    "days,consent,level",
    [
        (FOLLOW_UP_DAYS + 1, Consent.YES, "self_care"),  # too long ago
        (1, Consent.UNKNOWN, "self_care"),  # never agreed to be remembered
        (1, None, "self_care"),  # nothing stored
        (0, Consent.YES, "emergency"),  # told to call for help at once, not to wait
    ],
)
def test_otherwise_the_launch_is_the_open_question(
    store: SqliteStore, days: int, consent: Consent | None, level: str
) -> None:
    back = Back(store, days, consent=consent, level=level)
    assert back.open() == dialogue.launch(EN)
    assert back.state.follow_up is None


def test_without_a_store_or_with_one_that_fails_the_launch_is_the_open_question() -> None:
    failing = Back(FailingStore(fail_read=StoreUnavailableError("down")))
    assert failing.open() == dialogue.launch(EN)
    turn = Turn(
        DialogState(), EN, Memory(None, read_event(Session().launch(NOW), READER)), NOW, True
    )
    assert dialogue.follow_up_or_launch(turn) == dialogue.launch(EN)


# ------------------------------------------------------------------ still there


def test_still_there_a_day_later_is_the_articles_see_a_doctor(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    reply = back.answer(True)
    text = reply.spoken.text
    assert text.startswith(LASTED_DOCTOR)
    assert "That's the second time" not in text  # the same complaint, not one that came back
    assert reply.end and reply.card
    latest = back.kept()[-1]
    assert latest.day == TODAY and latest.level == "doctor"
    assert LASTED in latest.features and EASED not in latest.features
    assert set(TINGLING) <= set(latest.features)


def test_still_there_for_compartment_syndrome_is_its_own_advice(store: SqliteStore) -> None:
    told = ("lower_legs", "swelling", "tightness", "worse_as_run_goes_on", "during_run")
    back = Back(store, 2, told, "compartment_syndrome", "doctor")
    back.open()
    assert back.answer(True).spoken.text == EN.question("calf_hot_swollen")  # the safety check
    text = dialogue.reply(back.turn(), False).spoken.text  # no to the safety check
    assert EN.cause("compartment_syndrome")["name"] in text
    assert EN.advice("stop_exercising_see_doctor") in text
    assert LASTED_DOCTOR in text
    assert back.kept()[-1].cause == "compartment_syndrome"


def test_still_there_the_same_day_does_not_say_it_has_lasted_a_day(store: SqliteStore) -> None:
    back = Back(store, 0)
    back.open()
    back.answer(True)
    assert back.state.answers[EASED] is False  # it has not eased
    assert LASTED not in back.state.answers  # nor has it been a day


@pytest.mark.parametrize("words", ["it's still there", "yeah it's still there", "it's worse"])
def test_words_that_say_still_there_are_a_yes(store: SqliteStore, words: str) -> None:
    back = Back(store)
    back.open()
    assert back.say(words).spoken.text.startswith(LASTED_DOCTOR)


# ------------------------------------------------------------------ gone


def test_gone_is_kept_welcomed_and_not_asked_again(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    reply = back.answer(False)
    assert reply == dialogue.prompt(EN, "follow_up_gone", end=True)
    gone = back.kept()[-1]
    assert gone == CheckIn.of(TODAY, TINGLING, "unclear", RESOLVED)
    back.state = DialogState()
    assert back.open() == dialogue.launch(EN)


@pytest.mark.parametrize(
    "words", ["no it's gone", "it's gone", "it cleared up", "it doesn't tingle any more"]
)
def test_words_that_say_gone_are_a_no(store: SqliteStore, words: str) -> None:
    back = Back(store)
    back.open()
    assert back.say(words) == dialogue.prompt(EN, "follow_up_gone", end=True)
    assert back.kept()[-1].level == RESOLVED


def test_gone_that_cannot_be_kept_says_so() -> None:
    failing = FailingStore(fail_write=StoreUnavailableError("read-only"))
    failing.appended.append(CheckIn.of(TODAY - timedelta(days=1), TINGLING, "unclear", "self_care"))
    back = Back(failing)
    assert back.open().spoken.text == ASKED
    assert back.answer(False) == dialogue.prompt(EN, "follow_up_gone_not_saved", end=True)


# ------------------------------------------------------------------ something new, danger


def test_a_new_symptom_starts_a_check_in_with_those_words(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    reply = back.say("my calves are twitching now")
    assert back.state.follow_up is None
    assert back.state.answers.get("twitching") is True and "tingling" not in back.state.answers
    assert not reply.end  # a question of the new check-in
    assert [c.level for c in back.kept()] == ["self_care"]  # nothing said of the old one


def test_gone_and_something_new_keeps_the_gone_and_checks_the_new(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    reply = back.say("no the tingling has gone but my calves are twitching now")
    assert reply.spoken.parts[0] == EN.prompt("follow_up_gone_lead")
    assert back.kept()[-1].level == RESOLVED
    assert back.state.answers.get("twitching") is True
    assert "tingling" not in back.state.answers and EASED not in back.state.answers


@pytest.mark.parametrize(
    "words",
    [
        "no but my chest hurts",
        "yes and now my chest feels really tight",
        "my chest feels tight",
        "it's gone but I can't breathe properly",
    ],
)
def test_a_danger_sign_in_answer_wins_over_everything(store: SqliteStore, words: str) -> None:
    back = Back(store)
    back.open()
    reply = back.say(words)
    assert reply.spoken.text.startswith(EN.advice("call_emergency"))
    assert reply.end
    assert back.kept()[-1].level == "emergency"
    assert RESOLVED not in [c.level for c in back.kept()]


# ------------------------------------------------------------------ as any yes/no question


def test_words_that_say_neither_get_the_question_once_more_then_the_open_question(
    store: SqliteStore,
) -> None:
    back = Back(store)
    back.open()
    again = back.say("the tingling is gone")  # the words alone cannot tell
    assert again.spoken.text == EN.prompt("fallback_during_question", question=ASKED)
    assert back.state.follow_up is not None
    moved = dialogue.fallback(back.turn())
    assert moved.spoken.parts == (EN.prompt("moving_on"), EN.prompt("describe"))
    assert back.state.follow_up is None and not moved.end
    assert len(back.kept()) == 1  # nothing kept


def test_not_sure_asks_how_the_legs_feel_now(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    assert back.say("not sure") == dialogue.prompt(EN, "describe", "launch_reprompt")
    assert back.state.follow_up is None


def test_help_repeat_out_of_scope_and_stop_during_the_question(store: SqliteStore) -> None:
    back = Back(store)
    back.open()
    assert dialogue.follow_up_help(back.turn()).spoken.text == EN.prompt(
        "follow_up_help", question=ASKED
    )
    assert dialogue.repeat(back.turn()).spoken.text == ASKED
    assert dialogue.out_of_scope(back.turn()).spoken.text == EN.prompt(
        "out_of_scope_during_question", question=ASKED
    )
    assert back.state.follow_up is not None
    assert back.say("stop") == dialogue.prompt(EN, "goodbye", end=True)
    assert back.state.follow_up is None
    assert len(back.kept()) == 1  # nothing kept


def test_a_request_it_cannot_serve_twice_moves_on_to_the_open_question(
    store: SqliteStore,
) -> None:
    back = Back(store)
    back.open()
    dialogue.out_of_scope(back.turn())
    assert dialogue.out_of_scope(back.turn()) == dialogue.prompt(
        EN, "out_of_scope", "launch_reprompt"
    )
    assert back.state.follow_up is None


def test_the_follow_up_features_are_in_the_knowledge_and_reach_the_doctor_rule() -> None:
    assert KB.features[LASTED].category == "timing" and KB.features[EASED].category == "timing"
    assert EASED in KB.features[LASTED].excludes
    assert any(LASTED in e.any_features and e.raise_to == "doctor" for e in KB.escalations)
