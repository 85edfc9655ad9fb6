"""The held-out safety corpus: situations beyond the article, judged as a runner notices them.

``tests/corpus/safety/`` was written blind, by someone who never read the lexicon,
the interaction models or the other corpora (see its README): runner emergencies
the article does not cover, words in their other senses, adjacent complaints,
requests the skill cannot serve, stopping and repeating, a single "again", in
all five markets. Each utterance and conversation says what a runner must
notice (``expect``): a danger sign's advice, an adjacent complaint's answer, a
polite end, the question again, an answer read the right way, the features its
words state and must not state; and advice that must never be spoken
(``never_advise``: no drinking with signs of water overload).

Two measures for utterances (through the interpreter and the engine; end to end
through the simulator's language understanding and the skill) and one for whole
conversations, as :mod:`skill.tools.simulator.corpus` has for the article's corpus.
The first-run figures, taken before the corpus was used to change anything, are
kept in ``first-run.json`` beside it and printed by ``legcheck corpus``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill import triage
from skill.interpret import interpret
from skill.knowledge import Knowledge, load_knowledge
from skill.lexicon import load_lexicon
from skill.strings import LocaleStrings, strings_for
from skill.tools.simulator.conversation import Conversation, Turn
from skill.tools.simulator.corpus import (
    ANSWER_VALUES,
    CORPUS_DIR,
    danger_signs_said,
    new_conversation,
    next_utterance,
    say_pending,
)
from skill.tools.simulator.nlu import InteractionModel

SAFETY_DIR = CORPUS_DIR / "safety"
FIRST_RUN = "first-run.json"
KINDS = ("danger", "complaint", "out_of_scope", "ends", "repeats", "answer", "features", "cause")


@dataclass(frozen=True)
class SafetyUtterance:
    say: str
    locale: str
    category: str
    expect: dict[str, Any]
    pending: str | None = None
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    not_present: frozenset[str] = frozenset()
    never_advise: frozenset[str] = frozenset()
    place: str = ""


@dataclass(frozen=True)
class SafetyConversation:
    name: str
    locale: str
    category: str
    turns: tuple[str, ...]
    answers: dict[str, str]
    otherwise: str
    expect: dict[str, Any]
    never_advise: frozenset[str] = frozenset()
    place: str = ""


def _ids(item: dict[str, Any], key: str) -> frozenset[str]:
    return frozenset(str(x) for x in item.get(key) or ())


def load_safety_utterances(
    folder: Path = SAFETY_DIR, name: str = "utterances.yaml"
) -> list[SafetyUtterance]:
    """The held-out utterances (``name``: ``utterances.yaml``, or a later probe such as
    ``probe-2.yaml``, written blind the same way after the fixes)."""
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        SafetyUtterance(
            say=str(item["say"]),
            locale=str(item["locale"]),
            category=str(item["category"]),
            expect=dict(item["expect"]),
            pending=item.get("pending"),
            present=_ids(item, "present"),
            absent=_ids(item, "absent"),
            not_present=_ids(item, "not_present"),
            never_advise=_ids(item, "never_advise"),
            place=f"{path.name}[{i}]",
        )
        for i, item in enumerate(data)
    ]


def load_safety_conversations(folder: Path = SAFETY_DIR) -> list[SafetyConversation]:
    path = folder / "conversations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        SafetyConversation(
            name=str(conv["name"]),
            locale=str(conv["locale"]),
            category=str(conv["category"]),
            turns=tuple(str(t) for t in conv["turns"]),
            answers={str(k): str(v) for k, v in (conv.get("answers") or {}).items()},
            otherwise=str(conv.get("otherwise") or "i'm not sure"),
            expect=dict(conv["expect"]),
            never_advise=_ids(conv, "never_advise"),
            place=f"{path.name}[{i}] {conv['name']}",
        )
        for i, conv in enumerate(data["conversations"])
    ]


def check_safety_ids(
    utterances: Iterable[SafetyUtterance],
    conversations: Iterable[SafetyConversation],
    knowledge: Knowledge,
) -> list[str]:
    """Every id the corpus names is one of the knowledge file's."""
    dangers = {d.id for d in knowledge.danger_signs}
    complaints = {c.id for c in knowledge.complaints}
    causes = {c.id for c in knowledge.causes}
    problems: list[str] = []

    def check(
        place: str, expect: dict[str, Any], features: Iterable[str], advice: Iterable[str]
    ) -> None:
        if not any(k in expect for k in KINDS):
            problems.append(f"{place}: expect names none of {KINDS}")
        for key, known in (("danger", dangers), ("complaint", complaints), ("cause", causes)):
            if key in expect and expect[key] not in known:
                problems.append(f"{place}: unknown {key} {expect[key]!r}")
        problems.extend(
            f"{place}: unknown feature {f!r}" for f in features if f not in knowledge.features
        )
        problems.extend(
            f"{place}: unknown advice {a!r}" for a in advice if a not in knowledge.advice
        )

    for u in utterances:
        check(
            u.place,
            u.expect,
            [*u.present, *u.absent, *u.not_present, *([u.pending] if u.pending else [])],
            u.never_advise,
        )
    for c in conversations:
        check(c.place, c.expect, c.answers, c.never_advise)
    return problems


# ------------------------------------------------------------------ through the interpreter


def check_interpreted(u: SafetyUtterance, knowledge: Knowledge | None = None) -> list[str]:
    """Read the words (with the question pending), then ask the engine; judge both."""
    knowledge = knowledge or load_knowledge()
    heard = interpret([_without_invocation(u.say)], u.pending, knowledge, load_lexicon(u.locale))
    answers = {f: False for f in heard.absent} | {f: True for f in heard.present}
    result = triage.assess(answers, [u.pending] if u.pending else [], (), knowledge)
    present = set(result.present)
    wrong: list[str] = []
    expect = u.expect
    if "danger" in expect:
        if expect["danger"] not in result.danger_signs:
            wrong.append(
                f"danger {expect['danger']} not raised "
                f"(heard {sorted(heard.present)}, dangers {list(result.danger_signs)})"
            )
    elif result.danger_signs:
        wrong.append(f"false danger {list(result.danger_signs)}")
    if "complaint" in expect and expect["complaint"] not in result.complaints:
        wrong.append(
            f"complaint {expect['complaint']} not recognised (heard {sorted(heard.present)})"
        )
    if expect.get("out_of_scope") and heard.request != "out_of_scope":
        wrong.append(f"not heard as a request it cannot serve (heard {sorted(heard.present)})")
    if expect.get("ends") and heard.request != "stop":
        wrong.append("not heard as a request to stop")
    if expect.get("repeats") and heard.request != "repeat":
        wrong.append("not heard as a request to repeat")
    if "answer" in expect:
        want = ANSWER_VALUES[str(expect["answer"]).lower()]
        if heard.answer is not want:
            wrong.append(f"answer {heard.answer}, expected {want}")
    wrong += _features(u, present, set(heard.absent))
    if said := set(result.advice) & u.never_advise:
        wrong.append(f"advised {sorted(said)}")
    return wrong


INVOCATIONS = ("ask leg check", "tell leg check", "open leg check")


def _without_invocation(say: str) -> str:
    """The words the skill receives: a one-shot's "ask leg check" is Alexa's, not the
    runner's description."""
    for opening in INVOCATIONS:
        if say.startswith(opening + " "):
            return say[len(opening) + 1 :]
    return say


def _features(u: SafetyUtterance, present: set[str], absent: set[str]) -> list[str]:
    wrong = []
    if u.expect.get("features") or "answer" in u.expect:
        if missing := u.present - present:
            wrong.append(f"missed {sorted(missing)}")
        if not_denied := u.absent - absent:
            wrong.append(f"did not hear {sorted(not_denied)} denied")
    if trap := u.not_present & present:
        wrong.append(f"wrongly heard {sorted(trap)}")
    return wrong


# ------------------------------------------------------------------ end to end


def _all_text(turn: Turn) -> str:
    card = turn.card
    return " ".join([turn.speech, *(card or ()), *turn.screen])


def _complaint_said(turn: Turn, strings: LocaleStrings, knowledge: Knowledge) -> set[str]:
    card = turn.card
    found = set()
    for c in knowledge.complaints:
        try:
            name = strings.complaint(c.id)["name"]
        except (KeyError, AttributeError):
            continue
        if card and card[0].endswith(name) and name in turn.speech:
            found.add(c.id)
    return found


def _advised(text: str, advice: Iterable[str], strings: LocaleStrings) -> set[str]:
    found = set()
    for a in advice:
        try:
            words = strings.advice(a)
        except KeyError:
            continue
        if words and words in text:
            found.add(a)
    return found


def _prompt(strings: LocaleStrings, key: str, **values: Any) -> str:
    try:
        return strings.prompt(key, **values)
    except KeyError:
        return "\0"  # a prompt this version of the skill does not have: never said


def check_end_to_end(
    u: SafetyUtterance,
    model: InteractionModel,
    conversation: Conversation,
    knowledge: Knowledge | None = None,
) -> list[str]:
    """Say it to the skill as Alexa would route it (a one-shot opening as a one-shot, else in
    a session with its question pending) and judge the reply as the runner hears it."""
    knowledge = knowledge or load_knowledge()
    strings = strings_for(model.locale)
    one_shot = u.say.startswith(INVOCATIONS) and u.pending is None
    turn = say_pending(conversation, model, u.say, u.pending, one_shot)
    if isinstance(turn, str):
        return [turn]
    return judge_turn(u, turn, strings, knowledge, conversation.in_session)


def judge_turn(
    u: SafetyUtterance, turn: Turn, strings: LocaleStrings, knowledge: Knowledge, in_session: bool
) -> list[str]:
    expect = u.expect
    wrong: list[str] = []
    dangers = danger_signs_said(turn, strings, knowledge)
    attrs = turn.session_attributes
    how = turn.resolution.describe()
    if "danger" in expect:
        if expect["danger"] not in dangers:
            wrong.append(f"danger {expect['danger']} not said ({how}): {turn.speech[:120]!r}")
        elif strings.emergency_number not in _all_text(turn) and knowledge.levels[
            _danger_level(knowledge, expect["danger"])
        ] == max(knowledge.levels.values()):
            wrong.append("the emergency number was not said")
    elif dangers:
        wrong.append(f"false emergency {sorted(dangers)}")
    if "complaint" in expect:
        if expect["complaint"] not in _complaint_said(turn, strings, knowledge):
            wrong.append(
                f"complaint {expect['complaint']} not answered ({how}): {turn.speech[:120]!r}"
            )
        if causes := [
            c.id
            for c in knowledge.causes
            if strings.prompt("may_be", cause=strings.cause(c.id)["name"]) in turn.speech
        ]:
            wrong.append(f"named the article's cause {causes}")
    if expect.get("out_of_scope"):
        said = {_prompt(strings, "out_of_scope")}
        if u.pending:
            said.add(
                _prompt(
                    strings, "out_of_scope_during_question", question=strings.question(u.pending)
                )
            )
        if turn.speech not in said:
            wrong.append(f"not told what Leg Check does ({how}): {turn.speech[:120]!r}")
        if attrs.get("pending") not in (None, u.pending):
            wrong.append(f"started the questionnaire: asked {attrs.get('pending')!r}")
    if expect.get("ends") and in_session:
        wrong.append(f"the check-in did not end ({how}): {turn.speech[:120]!r}")
    if expect.get("repeats") and not (u.pending and strings.question(u.pending) in turn.speech):
        wrong.append(f"the question was not asked again ({how}): {turn.speech[:120]!r}")
    if "answer" in expect:
        want = ANSWER_VALUES[str(expect["answer"]).lower()]
        got = (attrs.get("answers") or {}).get(u.pending)
        if got is not want and not (want is None and got is None):
            wrong.append(f"answer {got}, expected {want} ({how})")
    if expect.get("features") or "answer" in expect:
        answers = attrs.get("answers") or {}
        if not dangers:
            present = set(
                triage.present_features(knowledge, {f: v for f, v in answers.items() if v is True})
            )
            absent = {f for f, v in answers.items() if v is False}
            wrong += _features(u, present, absent)
    if said := _advised(_all_text(turn), u.never_advise, strings):
        wrong.append(f"advised {sorted(said)}")
    return wrong


def _danger_level(knowledge: Knowledge, danger: str) -> str:
    return next(d.level for d in knowledge.danger_signs if d.id == danger)


# ------------------------------------------------------------------ conversations


@dataclass
class SafetyRun:
    case: SafetyConversation
    turns: list[Turn] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def transcript(self) -> str:
        return "\n".join(f"  > {t.utterance}\n    {t.speech}" for t in self.turns)


def run_safety_conversation(
    case: SafetyConversation, make: Callable[[], Conversation], knowledge: Knowledge | None = None
) -> SafetyRun:
    """Talk it through: the scripted turns, then the runner's truthful answer to each
    question (``otherwise`` for a question the script did not foresee)."""
    knowledge = knowledge or load_knowledge()
    conversation = make()
    strings = strings_for(conversation.model.locale)
    run = SafetyRun(case)
    script = list(case.turns)
    danger_turn: int | None = None
    for _ in range(14):
        utterance = next_utterance(script, run.turns, conversation, case.answers, case.otherwise)
        if utterance is None:
            break
        turn = conversation.say(utterance)
        run.turns.append(turn)
        if danger_signs_said(turn, strings, knowledge) and danger_turn is None:
            danger_turn = len(run.turns)
        if said := _advised(_all_text(turn), case.never_advise, strings):
            run.problems.append(f"advised {sorted(said)} after {utterance!r}")
        if not conversation.in_session:
            break
    expect = case.expect
    last = run.turns[-1] if run.turns else None
    if last is None:
        run.problems.append("nothing was said")
        return run
    said = danger_signs_said(last, strings, knowledge)
    if "danger" in expect:
        if expect["danger"] not in said:
            run.problems.append(
                f"expected the {expect['danger']} advice, got {last.speech[:160]!r}"
            )
        elif expect.get("immediate") and danger_turn != len(case.turns):
            run.problems.append("the danger said outright did not escalate at once")
        return run
    if said:
        run.problems.append(f"false emergency {sorted(said)}")
    if "complaint" in expect and expect["complaint"] not in _complaint_said(
        last, strings, knowledge
    ):
        run.problems.append(f"expected the {expect['complaint']} answer, got {last.speech[:160]!r}")
    if expect.get("out_of_scope"):
        told = [t for t in run.turns if t.speech == _prompt(strings, "out_of_scope")]
        if not told:
            run.problems.append("never told what Leg Check does")
    if expect.get("ends") and conversation.in_session:
        run.problems.append("the check-in did not end")
    if "cause" in expect:
        if conversation.in_session:
            run.problems.append("the conversation never reached its advice")
        name = strings.cause(str(expect["cause"]))["name"]
        if strings.prompt("may_be", cause=name) not in last.speech:
            run.problems.append(f"expected {expect['cause']} named, got {last.speech[:160]!r}")
        level = expect.get("level")
        see = f"please see {strings.doctor}".lower()
        text = last.speech.lower()
        if level == "doctor" and f"see {strings.doctor}".lower() not in text:
            run.problems.append("expected to be sent to a doctor")
        if level in ("self_care", "podiatrist") and see in text:
            run.problems.append(f"expected {level}, was sent to a doctor")
    return run


# ------------------------------------------------------------------ figures


def safety_shares(
    models: dict[str, InteractionModel],
    skill: Any = None,
    folder: Path = SAFETY_DIR,
    name: str = "utterances.yaml",
) -> dict[str, tuple[int, int]]:
    """(passed, total) for each measure of the held-out safety corpus (``name``: its
    utterances, or a later probe's; the conversations go with ``utterances.yaml``)."""
    from skill.app import build_skill

    knowledge = load_knowledge()
    skill = skill or build_skill(None)
    utterances = load_safety_utterances(folder, name)
    cases = load_safety_conversations(folder) if name == "utterances.yaml" else []
    interpreted = sum(1 for u in utterances if not check_interpreted(u, knowledge))
    talks = {code: new_conversation(model, skill) for code, model in models.items()}
    end_to_end = sum(
        1
        for u in utterances
        if u.locale in models
        and not check_end_to_end(u, models[u.locale], talks[u.locale], knowledge)
    )
    runs = [
        run_safety_conversation(c, _conversation_maker(models[c.locale], skill), knowledge)
        for c in cases
        if c.locale in models
    ]
    dangers = [u for u in utterances if "danger" in u.expect]
    danger_ok = sum(
        1
        for u in dangers
        if u.locale in models
        and not check_end_to_end(u, models[u.locale], talks[u.locale], knowledge)
    )
    return {
        "utterances through the interpreter": (interpreted, len(utterances)),
        "utterances end to end through the simulator": (end_to_end, len(utterances)),
        "danger utterances end to end": (danger_ok, len(dangers)),
        **({"conversations": (sum(r.ok for r in runs), len(runs))} if cases else {}),
    }


def _conversation_maker(model: InteractionModel, skill: Any) -> Callable[[], Conversation]:
    return lambda: new_conversation(model, skill)


def first_run(folder: Path = SAFETY_DIR) -> dict[str, Any]:
    """The figures taken when the corpus first ran, before anything was changed for it."""
    path = folder / FIRST_RUN
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
