"""The held-out safety corpus (``tests/corpus/safety``, written blind), judged as a runner
notices it: every runner emergency reaches its number from a one-shot, an open launch and
an answer to an unrelated question, in every market; adjacent complaints get their own
answer; stop and never-mind end the check-in; advice that could harm is never spoken.
"""

from __future__ import annotations

import pytest

from skill.app import build_skill
from skill.knowledge import load_knowledge
from skill.strings import strings_for
from skill.tools.models import model_path
from skill.tools.simulator.conversation import Conversation, Turn
from skill.tools.simulator.corpus import (
    check_utterance_interpreted,
    load_utterances,
    new_conversation,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.safety import (
    INVOCATIONS,
    SafetyUtterance,
    check_end_to_end,
    check_interpreted,
    check_safety_ids,
    first_run,
    judge_turn,
    load_safety_conversations,
    load_safety_utterances,
    run_safety_conversation,
)
from tests.support.floors import INTERPRETER_FLOOR, SIMULATOR_FLOOR
from tests.support.markets import locale_models

pytestmark = pytest.mark.slow  # the whole safety corpus, end to end, in every market

KB = load_knowledge()
MARKETS = locale_models()
MODELS = {code: InteractionModel.load(model_path(code)) for code in MARKETS}
UTTERANCES = load_safety_utterances()
CONVERSATIONS = load_safety_conversations()
SKILL = build_skill(None)
PROBE = load_safety_utterances(name="probe-2.yaml")  # a later blind probe, after the fixes
DANGERS = [u for u in (*UTTERANCES, *PROBE) if "danger" in u.expect]
NEW_DANGERS = {
    "heat_stroke",
    "heat_exhaustion",
    "hyponatremia",
    "rhabdomyolysis",
    "collapse",
    "palpitations",
}
UNRELATED = "worse_as_run_goes_on"  # a question about something else entirely


@pytest.fixture(scope="module")
def talks() -> dict[str, Conversation]:
    return {code: new_conversation(model, SKILL) for code, model in MODELS.items()}


def test_the_corpus_names_only_what_the_knowledge_has() -> None:
    assert check_safety_ids(UTTERANCES, CONVERSATIONS, KB) == []


def test_the_corpus_is_in_every_market_and_every_category() -> None:
    assert {u.locale for u in UTTERANCES} == set(MARKETS)
    assert {c.locale for c in CONVERSATIONS} == set(MARKETS)
    assert len(UTTERANCES) >= 150 and len(CONVERSATIONS) >= 30
    said = {u.expect["danger"] for u in DANGERS}
    assert said >= NEW_DANGERS
    assert {c.id for c in KB.complaints} <= {u.expect.get("complaint") for u in UTTERANCES}


def test_the_first_run_was_kept() -> None:
    """The figures before anything was changed for the corpus stay on record."""
    before = first_run()
    assert before["landed"]["utterances through the interpreter"][1] == len(UTTERANCES)
    assert before["landed"]["conversations"][1] == len(CONVERSATIONS)


@pytest.mark.parametrize("u", DANGERS, ids=lambda u: f"{u.place}:{u.say[:40]}")
def test_every_danger_utterance_escalates_in_its_market(
    u: SafetyUtterance, talks: dict[str, Conversation]
) -> None:
    assert check_end_to_end(u, MODELS[u.locale], talks[u.locale], KB) == [], u.say


def _plain(say: str) -> str:
    for opening in INVOCATIONS:
        if say.startswith(opening + " "):
            return say[len(opening) + 1 :]
    return say


@pytest.mark.parametrize("way", ["one-shot", "open launch", "unrelated question"])
@pytest.mark.parametrize("locale", MARKETS)
def test_every_runner_emergency_reaches_the_number_three_ways(
    way: str, locale: str, talks: dict[str, Conversation]
) -> None:
    """Each new emergency utterance, said as a one-shot ("ask leg check ..."), after "open
    leg check", and in answer to a question about something else, in every market: the
    danger's advice and the market's own number (urgent care for rhabdomyolysis)."""
    model, talk = MODELS[locale], talks[locale]
    strings = strings_for(locale)
    wrong = []
    for u in DANGERS:
        if u.expect["danger"] not in NEW_DANGERS:
            continue
        words = _plain(u.say)
        talk.end_session()
        if way == "one-shot":
            turn = talk.say(f"ask {model.invocation_name} {words}")
        else:
            talk.say(f"open {model.invocation_name}")
            if way == "unrelated question" and talk.session is not None:
                talk.session.attributes = {
                    "answers": {"tingling": True, "lower_legs": True},
                    "asked": [UNRELATED],
                    "pending": UNRELATED,
                }
            turn = talk.say(words)
        pending = UNRELATED if way == "unrelated question" else None
        heard = SafetyUtterance(
            u.say,
            locale,
            u.category,
            {"danger": u.expect["danger"]},
            pending,
            never_advise=u.never_advise,
            place=u.place,
        )
        if problems := judge_turn(heard, turn, strings, KB, talk.in_session):
            wrong.append(f"{u.place} {words!r}: {problems}")
    assert wrong == []


def test_the_corpus_passes_through_the_interpreter_at_98_percent_with_the_article_corpus() -> None:
    article = load_utterances("en-US")
    failures = [u.say for u in UTTERANCES if check_interpreted(u, KB)]
    failures += [u.say for u in article if check_utterance_interpreted(u, KB)]
    share = 1 - len(failures) / (len(UTTERANCES) + len(article))
    assert share >= INTERPRETER_FLOOR, f"{share:.1%}: {failures}"


def test_the_corpus_passes_end_to_end_at_95_percent(talks: dict[str, Conversation]) -> None:
    failures = {
        u.say: w
        for u in UTTERANCES
        if (w := check_end_to_end(u, MODELS[u.locale], talks[u.locale], KB))
    }
    share = 1 - len(failures) / len(UTTERANCES)
    assert share >= SIMULATOR_FLOOR, f"{share:.1%}: {failures}"


def test_no_utterance_is_ever_given_advice_that_could_harm_it(
    talks: dict[str, Conversation],
) -> None:
    """Whatever else a reply gets wrong, it never speaks, shows or cards an advice step the
    corpus says must not be given to that runner (drinking with water overload)."""
    harmed = []
    for u in (*UTTERANCES, *PROBE):
        if not u.never_advise:
            continue
        for problem in (
            *check_interpreted(u, KB),
            *check_end_to_end(u, MODELS[u.locale], talks[u.locale], KB),
        ):
            if problem.startswith("advised"):
                harmed.append(f"{u.place}: {problem}")
    assert harmed == []


@pytest.mark.parametrize("case", CONVERSATIONS, ids=lambda c: c.place)
def test_every_conversation(case) -> None:  # type: ignore[no-untyped-def]
    run = run_safety_conversation(case, lambda: new_conversation(MODELS[case.locale], SKILL), KB)
    assert run.ok, f"{run.problems}\n{run.transcript()}"


QUESTIONS = [f.id for f in KB.features.values() if f.question]


def _asked(talk: Conversation, model: InteractionModel, question: str, words: str) -> Turn:
    """Say the words in a check-in under way, with ``question`` just asked."""
    talk.end_session()
    talk.say(f"open {model.invocation_name}")
    assert talk.session is not None
    talk.session.attributes = {
        "answers": {"tingling": True},
        "asked": [question],
        "pending": question,
    }
    return talk.say(words)


@pytest.mark.parametrize(
    "words",
    [
        "stop",
        "never mind",
        "cancel",
        "forget it",
        "no never mind",
        "that's enough leave it",
        "actually stop i'm fine",
    ],
)
@pytest.mark.parametrize("locale", MARKETS)
def test_stop_and_never_mind_end_the_check_in_from_every_question(
    words: str, locale: str, talks: dict[str, Conversation]
) -> None:
    model, talk = MODELS[locale], talks[locale]
    stopped = strings_for(locale).prompt("check_in_stopped")
    wrong = []
    for question in QUESTIONS:
        turn = _asked(talk, model, question, words)
        if talk.in_session or turn.speech != stopped:
            wrong.append((question, turn.resolution.describe(), turn.speech))
    assert wrong == []


@pytest.mark.parametrize(
    "words", ["pardon", "say that again", "what", "come again", "sorry what was that"]
)
def test_a_repeat_request_asks_the_waiting_question_again(
    words: str, talks: dict[str, Conversation]
) -> None:
    model, talk = MODELS["en-US"], talks["en-US"]
    strings = strings_for("en-US")
    for question in QUESTIONS:
        turn = _asked(talk, model, question, words)
        assert strings.question(question) in turn.speech and talk.in_session, (question, words)
        assert turn.session_attributes.get("pending") == question
