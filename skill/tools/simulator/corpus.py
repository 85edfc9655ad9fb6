"""The corpus of how runners talk: run it through the interpreter and the simulator.

``tests/corpus/utterances/<locale>.yaml`` lists things runners say, each with
the features it must yield (``present``), those it denies (``absent``), those
it must not yield (``not_present``) and, for an answer, the pending question
and how it answers it. ``tests/corpus/conversations/<locale>/<target>.yaml``
holds whole conversations per cause and danger sign, with the runner's
truthful answers to every yes/no question.

Three measures, each a share of items passing:

* through the phrase interpreter alone (:func:`check_utterance_interpreted`);
* end to end through the simulator: the words resolved against the
  interaction model, sent to the skill, and what the skill recorded in its
  session, or the danger advice it gave (:func:`check_utterance_end_to_end`);
* whole conversations (:func:`run_conversation`): the outcome expected, every
  danger escalating (at once when said outright), no question asked whose
  answer was already given or asked twice, and at most six runner turns from
  the first description to the advice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill.interpret import interpret
from skill.knowledge import Knowledge, load_knowledge
from skill.lexicon import load_lexicon
from skill.strings import LocaleStrings, strings_for
from skill.tools.models import model_path
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator.conversation import Conversation, InProcess, Turn
from skill.tools.simulator.nlu import InteractionModel

CORPUS_DIR = REPO_ROOT / "tests" / "corpus"
ANSWER_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "unsure": None}
"""What a corpus's answer words mean: yes, no, and not sure (None)."""
UNSURE_REPLY = "I'm not sure"


@dataclass(frozen=True)
class Utterance:
    say: str
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    not_present: frozenset[str] = frozenset()
    pending: str | None = None
    answer: str | None = None
    voice: str = ""
    place: str = ""

    @property
    def dangers(self) -> frozenset[str]:
        knowledge = load_knowledge()
        return frozenset(f for f in self.present if knowledge.features[f].category == "danger")


def load_utterances(locale: str = "en-US", folder: Path = CORPUS_DIR) -> list[Utterance]:
    """Every utterance file of the locale: ``en-US.yaml`` and ``en-US.*.yaml``."""
    out: list[Utterance] = []
    root = folder / "utterances"
    for path in sorted([root / f"{locale}.yaml", *root.glob(f"{locale}.*.yaml")]):
        if path.exists():
            out.extend(_read_utterances(path))
    return out


def _read_utterances(path: Path) -> list[Utterance]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out = []
    for i, item in enumerate(data):
        answer = item.get("answer")
        out.append(
            Utterance(
                say=str(item["say"]),
                present=frozenset(item.get("present") or ()),
                absent=frozenset(item.get("absent") or ()),
                not_present=frozenset(item.get("not_present") or ()),
                pending=item.get("pending"),
                answer=None if answer is None else str(answer).lower(),
                voice=str(item.get("voice", "")),
                place=f"{path.name}[{i}]",
            )
        )
    return out


def check_ids(utterances: Iterable[Utterance], knowledge: Knowledge) -> list[str]:
    """Every feature id named by the corpus is a feature of the knowledge file."""
    problems = []
    for u in utterances:
        for fid in (*u.present, *u.absent, *u.not_present, *([u.pending] if u.pending else [])):
            if fid not in knowledge.features:
                problems.append(f"{u.place}: unknown feature {fid!r}")
        if u.pending and u.answer not in ANSWER_VALUES:
            problems.append(f"{u.place}: answer must be yes, no or unsure, got {u.answer!r}")
    return problems


def _judge(
    u: Utterance, present: set[str], absent: set[str], answer: bool | None, knowledge: Knowledge
) -> list[str]:
    """What a runner would notice went wrong, or nothing."""
    from skill.triage import present_features

    present = set(present_features(knowledge, {f: True for f in present}))
    wrong = []
    if missing := u.present - present:
        wrong.append(f"missed {sorted(missing)}")
    if not_denied := u.absent - absent:
        wrong.append(f"did not hear {sorted(not_denied)} denied")
    if trap := u.not_present & present:
        wrong.append(f"wrongly heard {sorted(trap)}")
    allowed = u.present | ({u.pending} if u.pending and u.answer == "yes" else set())
    false_danger = {f for f in present if knowledge.features[f].category == "danger"} - allowed
    if false_danger:
        wrong.append(f"false danger {sorted(false_danger)}")
    if u.pending:
        expected = ANSWER_VALUES[u.answer or ""]
        if expected is None and answer is not None:
            wrong.append(f"took 'not sure' as {answer}")
        elif expected is not None and answer is not expected:
            wrong.append(f"answer {answer}, expected {expected}")
    return wrong


def check_utterance_interpreted(u: Utterance, knowledge: Knowledge | None = None) -> list[str]:
    knowledge = knowledge or load_knowledge()
    heard = interpret([u.say], u.pending, knowledge, load_lexicon("en"))
    return _judge(u, set(heard.present), set(heard.absent), heard.answer, knowledge)


def new_conversation(model: InteractionModel, skill: Any = None) -> Conversation:
    from skill.app import build_skill

    return Conversation(model, InProcess(skill or build_skill(None)))


def check_utterance_end_to_end(
    u: Utterance,
    model: InteractionModel,
    conversation: Conversation,
    knowledge: Knowledge | None = None,
) -> list[str]:
    """Say it to the skill in a session (with its question pending), as Alexa would route
    it, and judge what the skill kept of it, or the danger advice it gave."""
    knowledge = knowledge or load_knowledge()
    strings = strings_for(model.locale)
    turn = say_pending(conversation, model, u.say, u.pending)
    if isinstance(turn, str):
        return [turn]
    card = turn.card
    return judge_reply(
        u,
        turn.speech,
        card[0] if card else "",
        turn.session_attributes,
        strings,
        knowledge,
        turn.resolution.describe(),
    )


def say_pending(
    conversation: Conversation,
    model: InteractionModel,
    said: str,
    pending: str | None,
    one_shot: bool = False,
) -> Turn | str:
    """Say the words in a new session, as Alexa would route them: after the launch phrase
    with ``pending`` the question just asked, or as a one-shot ("ask leg check ..."). The
    turn, or what kept the words from the skill."""
    conversation.end_session()
    if not one_shot:
        conversation.say(f"open {model.invocation_name}")
        if conversation.session is None:
            return "the launch phrase did not open a session"
        if pending:
            conversation.session.attributes = {
                "answers": {},
                "asked": [pending],
                "pending": pending,
            }
    turn = conversation.say(said)
    if not turn.routed:
        return f"not sent to the skill: {turn.resolution.note}"
    return turn


def judge_reply(
    u: Utterance,
    speech: str,
    card_title: str,
    attributes: dict[str, Any],
    strings: LocaleStrings,
    knowledge: Knowledge,
    how: str = "",
) -> list[str]:
    """Judge the skill's reply to an utterance as a runner would notice it: the danger
    advice when a danger sign was said (or its safety question), else what it kept."""
    danger_said = _danger_said(speech, card_title, strings, knowledge)
    if danger_said:
        expected = {
            d.id
            for d in knowledge.danger_signs
            if u.dangers & set(d.any_features) or _screened(d, u)
        }
        if not expected:
            return [f"false emergency {sorted(danger_said)}"]
        return (
            []
            if danger_said & expected
            else [f"said {sorted(danger_said)}, expected {sorted(expected)}"]
        )
    if u.dangers:
        screens = {
            d.screen_question
            for d in knowledge.danger_signs
            if d.screen_question and u.dangers & set(d.any_features)
        }
        if attributes.get("pending") not in screens:
            return [f"danger {sorted(u.dangers)} not escalated ({how})"]
        return []
    answers = attributes.get("answers") or {}
    present = {f for f, v in answers.items() if v is True}
    absent = {f for f, v in answers.items() if v is False}
    answer = answers.get(u.pending) if u.pending else None
    if u.pending and u.pending in u.present:
        present.add(u.pending)
    return _judge(u, present, absent, answer, knowledge)


def _screened(sign: Any, u: Utterance) -> bool:
    return bool(sign.screen_question and u.pending == sign.screen_question and u.answer == "yes")


def _danger_said(
    speech: str, card_title: str, strings: LocaleStrings, knowledge: Knowledge
) -> set[str]:
    if card_title != strings.prompt("card_title_danger"):
        return set()
    return {d.id for d in knowledge.danger_signs if strings.danger(d.id) in speech}


def danger_signs_said(turn: Turn, strings: LocaleStrings, knowledge: Knowledge) -> set[str]:
    card = turn.card
    return _danger_said(turn.speech, card[0] if card else "", strings, knowledge)


# ------------------------------------------------------------ conversations


@dataclass
class ConversationCase:
    target: str
    name: str
    turns: list[str]
    answers: dict[str, str]
    expect: dict[str, Any]
    never_ask: list[str]
    place: str


@dataclass
class ConversationRun:
    case: ConversationCase
    turns: list[Turn] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    turns_to_advice: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def transcript(self) -> str:
        return "\n".join(f"  > {t.utterance}\n    {t.speech}" for t in self.turns)


def load_conversations(locale: str = "en-US", folder: Path = CORPUS_DIR) -> list[ConversationCase]:
    cases = []
    root = folder / "conversations"
    dirs = [root / locale, *sorted(root.glob(f"{locale}.*"))]
    for path in sorted(p for d in dirs if d.is_dir() for p in d.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, conv in enumerate(data["conversations"]):
            cases.append(
                ConversationCase(
                    target=str(data["target"]),
                    name=str(conv.get("name", i)),
                    turns=[str(t) for t in conv["turns"]],
                    answers={str(k): str(v) for k, v in (conv.get("answers") or {}).items()},
                    expect=dict(conv.get("expect") or {}),
                    never_ask=[str(f) for f in conv.get("never_ask") or ()],
                    place=f"{path.parent.name}/{path.name}[{i}] {conv.get('name', '')}",
                )
            )
    return cases


def next_utterance(
    script: list[str],
    turns: list[Turn],
    conversation: Conversation,
    answers: dict[str, str],
    otherwise: str,
) -> str | None:
    """What the runner says next: the next scripted turn, else the truthful answer to the
    question just asked (``otherwise`` for one the script did not foresee); None when the
    session has ended or nothing is asked."""
    if script:
        return script.pop(0)
    pending = turns[-1].session_attributes.get("pending") if turns else None
    if not conversation.in_session or not pending:
        return None
    return answers.get(pending, otherwise)


def run_conversation(
    case: ConversationCase,
    model: InteractionModel,
    make: Callable[[], Conversation],
    knowledge: Knowledge | None = None,
    max_turns: int = 6,
) -> ConversationRun:
    """Talk the conversation through: scripted turns first, then truthful answers."""
    knowledge = knowledge or load_knowledge()
    strings = strings_for(model.locale)
    conversation = make()
    run = ConversationRun(case)
    script = list(case.turns)
    first_described: int | None = None
    danger_turn: int | None = None
    for _ in range(16):
        utterance = next_utterance(script, run.turns, conversation, case.answers, UNSURE_REPLY)
        if utterance is None:
            break
        turn = conversation.say(utterance)
        run.turns.append(turn)
        if conversation.in_session and turn.routed and not turn.reprompt:
            run.problems.append(f"no reprompt after {utterance!r}, and the session is open")
        if turn.resolution.request_type == "LaunchRequest":
            continue
        index = len(run.turns)
        attrs = turn.session_attributes
        if first_described is None and (
            any((attrs.get("answers") or {}).values()) or not conversation.in_session
        ):
            first_described = index
        if danger_signs_said(turn, strings, knowledge) and danger_turn is None:
            danger_turn = index
        pending = attrs.get("pending") if conversation.in_session else None
        if pending:
            if pending in case.never_ask:
                run.problems.append(f"asked {pending!r}, which the runner already said")
            if run.asked.count(pending) >= 2:
                run.problems.append(f"asked {pending!r} a third time")
            if not (run.asked and run.asked[-1] == pending and "catch" in turn.speech):
                run.asked.append(pending)
        if not conversation.in_session:
            break
    last = run.turns[-1] if run.turns else None
    if last is None or conversation.in_session:
        run.problems.append("the conversation never reached its advice")
        return run
    run.turns_to_advice = len(run.turns) - (first_described or len(run.turns)) + 1
    if run.turns_to_advice > max_turns:
        run.problems.append(
            f"{run.turns_to_advice} turns from the first description to the "
            f"advice (at most {max_turns})"
        )
    expect = case.expect
    said = danger_signs_said(last, strings, knowledge)
    if "danger" in expect:
        if expect["danger"] not in said:
            run.problems.append(f"expected the {expect['danger']} danger advice")
        elif expect.get("immediate") and danger_turn != len(case.turns):
            run.problems.append("the danger said outright did not escalate at once")
    elif said:
        run.problems.append(f"false emergency {sorted(said)}")
    if "cause" in expect:
        name = strings.cause(str(expect["cause"]))["name"]
        if strings.prompt("may_be", cause=name) not in last.speech:
            run.problems.append(f"expected {expect['cause']} named")
    level = expect.get("level")
    text = last.speech.lower()
    see = f"see {strings.doctor}".lower()
    if level == "doctor" and see not in text:
        run.problems.append("expected to be sent to a doctor")
    if level in ("self_care", "podiatrist") and f"please {see}" in text:
        run.problems.append(f"expected {level}, was sent to a doctor")
    return run


def shares(locale: str = "en-US", model_file: Path | None = None) -> dict[str, tuple[int, int]]:
    """(passed, total) for each measure."""
    knowledge = load_knowledge()
    model = InteractionModel.load(model_file or model_path(locale))
    utterances = load_utterances(locale)
    interpreted = sum(1 for u in utterances if not check_utterance_interpreted(u, knowledge))
    conversation = new_conversation(model)
    end_to_end = sum(
        1 for u in utterances if not check_utterance_end_to_end(u, model, conversation, knowledge)
    )
    cases = load_conversations(locale)
    from skill.app import build_skill

    skill = build_skill(None)
    runs = [
        run_conversation(c, model, lambda: new_conversation(model, skill), knowledge) for c in cases
    ]
    return {
        "utterances through the interpreter": (interpreted, len(utterances)),
        "utterances end to end through the simulator": (end_to_end, len(utterances)),
        "conversations": (sum(r.ok for r in runs), len(runs)),
    }
