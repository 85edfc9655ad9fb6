"""Turn the engine's plain results into what Alexa says and shows.

Pure functions over :class:`~skill.triage.TriageResult` and
:class:`~skill.strings.LocaleStrings`; no SDK types.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from skill.knowledge import Knowledge
from skill.strings import LocaleStrings
from skill.triage import TriageResult

PAUSE = '<break time="400ms"/>'


@dataclass(frozen=True)
class Spoken:
    """Speech as plain sentences; :attr:`ssml` adds pauses between the parts."""

    parts: tuple[str, ...]
    card_title: str = ""

    @property
    def text(self) -> str:
        return " ".join(p for p in self.parts if p)

    @property
    def ssml(self) -> str:
        return "<speak>" + f" {PAUSE} ".join(escape(p) for p in self.parts if p) + "</speak>"


def join_words(items: list[str], conj: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def describe_features(strings: LocaleStrings, knowledge: Knowledge,
                      features: list[str]) -> str:
    """Phrase the runner's own symptoms: "tingling and itching in your legs"."""
    sensations = [f for f in features if knowledge.features[f].category == "sensation"]
    rest = [f for f in features if knowledge.features[f].category != "sensation"]
    parts = []
    if sensations:
        parts.append(join_words([strings.feature(f) for f in sensations], strings.prompt("and")))
    places = [strings.feature(f) for f in rest if knowledge.features[f].category == "place"]
    if places:
        parts.append(join_words(places[:2], strings.prompt("and")))
    clauses = [strings.feature(f) for f in rest if knowledge.features[f].category != "place"]
    head = " ".join(parts)
    if clauses:
        tail = join_words(clauses[:2], strings.prompt("and"))
        head = f"{head} {tail}" if head else tail
    return head


def _mentioned(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> str:
    """The runner's own symptoms that speak for the leading cause."""
    reasons = [f for f in result.top.reasons_for if f in result.present]
    # drop places implied by a more specific one (between the toes implies the feet)
    implied = {i for f in reasons if knowledge.features[f].category == "place"
               for i in knowledge.features[f].implies}
    reasons = [f for f in reasons if f not in implied][:4]
    if not reasons:
        return ""
    return strings.prompt("you_mentioned", things=describe_features(strings, knowledge, reasons))


def question(strings: LocaleStrings, feature: str) -> tuple[Spoken, Spoken]:
    """The speech and the reprompt for a follow-up question."""
    text = strings.question(feature)
    return Spoken((text,)), Spoken((strings.prompt("question_reprompt", question=text),))


def danger(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> Spoken:
    """What to do first, then why; at the most urgent level the call is said twice."""
    parts = [strings.advice(a) for a in result.advice]
    parts.extend(strings.danger(sign) for sign in result.danger_signs)
    if result.advice and knowledge.levels[result.level] == max(knowledge.levels.values()):
        parts.append(strings.advice(result.advice[0]))
    return Spoken(tuple(parts), strings.prompt("card_title_danger"))


def outcome(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> Spoken:
    """What it may be and why, what to do now, and when to see a doctor."""
    if result.is_danger:
        return danger(strings, knowledge, result)
    if not result.contenders:
        parts = [strings.prompt("unclear"), strings.prompt("what_to_do")]
        parts.extend(strings.advice(a) for a in result.advice)
        parts.extend(strings.raised(r) for r in result.raised_by[:1])
        parts.append(strings.level(result.level))
        parts.append(strings.prompt("disclaimer"))
        return Spoken(tuple(p for p in parts if p), strings.prompt("card_title_unclear"))
    top = strings.cause(result.top.id)
    parts = [
        _mentioned(strings, knowledge, result),
        strings.prompt("may_be", cause=top["name"]) + " " + top["explain"],
    ]
    for other in result.contenders[1:2]:
        parts.append(strings.prompt("may_also_be", cause=strings.cause(other)["name"]))
    parts.append(strings.prompt("what_to_do"))
    parts.extend(strings.advice(a) for a in result.advice)
    parts.extend(strings.raised(r) for r in result.raised_by[:1])
    parts.append(strings.level(result.level))
    parts.append(strings.prompt("disclaimer"))
    title = strings.prompt("card_title") + ": " + top["name"]
    return Spoken(tuple(p for p in parts if p), title)
