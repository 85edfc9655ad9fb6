"""Turn the engine's plain results into what Alexa says and shows.

Pure functions over :class:`~skill.triage.TriageResult` and
:class:`~skill.strings.LocaleStrings`; no SDK types.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from skill.history import Recurrence, Summary
from skill.knowledge import Knowledge
from skill.limits import escape_xml as escape
from skill.screen import Screen
from skill.strings import LocaleStrings
from skill.triage import TriageResult

ORDINALS = 5
"""Up to "the fifth time"; beyond, "you've mentioned it 7 times"."""

MAX_WORDS = 75
"""About 30 seconds at 150 words a minute: advice longer than that is not followed."""


def word_count(parts: list[str] | tuple[str, ...]) -> int:
    return sum(len(p.split()) for p in parts if p)


PAUSE = '<break time="400ms"/>'


@dataclass(frozen=True)
class Spoken:
    """Speech as plain sentences; :attr:`ssml` adds pauses between the parts.

    An outcome also carries its card (``card_lines``: the steps as a numbered list) and
    its screen (``screen``: what its APL data source is built from, built only for a
    device with a screen).
    """

    parts: tuple[str, ...]
    card_title: str = ""
    card_lines: tuple[str, ...] = ()
    screen: Screen | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        return " ".join(p for p in self.parts if p)

    @property
    def card_text(self) -> str:
        return "\n".join(self.card_lines) if self.card_lines else self.text

    @property
    def ssml(self) -> str:
        return self.ssml_for({})

    def ssml_for(self, aliases: dict[str, str]) -> str:
        """SSML with each emergency number said the local way: ``<sub alias="triple
        zero">000</sub>``. Only tags Alexa documents (speak, break, sub), text escaped."""
        subs = _substitutions(tuple(aliases.items()))

        def say(part: str) -> str:
            out = escape(part)
            for number, pattern, sub in subs:
                if number in out:
                    out = pattern.sub(sub, out)
            return out

        return "<speak>" + f" {PAUSE} ".join(say(p) for p in self.parts if p) + "</speak>"

    def led_by(self, lead: list[str]) -> Spoken:
        """The same, with sentences said before it ("Okay, no chest pain.")."""
        return replace(self, parts=(*lead, *self.parts))


_SAID_NUMBER = re.compile(r'<sub alias="[^"]*">([^<]*)</sub>')
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def parts_of(ssml: str) -> tuple[str, ...]:
    """The sentences of SSML that :meth:`Spoken.ssml_for` wrote (its inverse): split at the
    pauses, each number's ``<sub>`` back to the number, the text unescaped. What a response
    said, kept for Repeat (``Spoken(parts_of(ssml)).ssml_for(aliases)`` says it again)."""
    inner = ssml.removeprefix("<speak>").removesuffix("</speak>")
    if not inner:
        return ()
    return tuple(
        _ENTITY.sub(lambda entity: _ENTITIES[entity[1]], _SAID_NUMBER.sub(r"\1", part))
        for part in inner.split(f" {PAUSE} ")
    )


@lru_cache(maxsize=16)
def _substitutions(
    aliases: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Each number, the pattern that finds it as a word of its own, and its ``<sub>``."""
    return tuple(
        (
            number,
            re.compile(rf"(?<![\w<]){re.escape(number)}(?![\w])"),
            f'<sub alias="{escape(alias)}">{number}</sub>',
        )
        for number, alias in aliases
    )


def join_words(items: list[str], conj: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def describe_features(strings: LocaleStrings, knowledge: Knowledge, features: list[str]) -> str:
    """Phrase the runner's own symptoms: "tingling in your shins or calves, and that it
    got worse as you ran"; "that it eased once you cooled down" when no symptom is named."""
    category = {f: knowledge.features[f].category for f in features}
    sensations = [
        strings.feature(f)
        for f in features
        if category[f] in ("sensation", "danger", "body", "complaint")
    ]
    places = [strings.feature(f) for f in features if category[f] == "place"][:2]
    clauses = [
        strings.feature(f) for f in features if category[f] not in ("sensation", "danger", "place")
    ][:2]
    conj = strings.prompt("and")
    head = join_words(sensations, conj)
    if places:
        where = join_words(places, conj)
        head = f"{head} {where}" if head else strings.prompt("mentioned_where", place=where)
    if not clauses:
        return head
    tail = join_words(clauses, conj)
    if not head:
        return strings.prompt("mentioned_that", clauses=tail)
    return strings.prompt("mentioned_and_that", head=head, clauses=tail)


def _mentioned(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> str:
    """The runner's own symptoms that speak for the leading cause."""
    said_first = {
        f for e in knowledge.escalations if e.id in result.raised_by for f in e.any_features
    }  # already said: "Because it has lasted ..."
    reasons = [f for f in result.top.reasons_for if f in result.present and f not in said_first]
    # drop places implied by a more specific one (between the toes implies the feet)
    implied = {i for f in reasons for i in knowledge.features[f].implies}
    reasons = [f for f in reasons if f not in implied][:4]
    if not reasons:
        return ""
    return strings.prompt("you_mentioned", things=describe_features(strings, knowledge, reasons))


def red_flags(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> str:
    """ "Because it has lasted a day or more, please see a doctor about it." """
    flags: list[str] = []
    for esc in knowledge.escalations:
        if esc.id in result.raised_by:
            flags.extend(f for f in esc.any_features if f in result.present and f not in flags)
    if not flags:
        return ""
    reasons = join_words([strings.red_flag(f) for f in flags[:2]], strings.prompt("and"))
    return strings.prompt("see_doctor_because", reasons=reasons)


def noted_no_danger(strings: LocaleStrings, knowledge: Knowledge, denied: list[str]) -> str:
    """One short confirmation that a danger sign was heard as denied: "Okay, no chest
    pain." A sign covered by a wider one denied too is not said again."""
    covered = {f for d in denied for group in knowledge.features[d].answered_by for f in group}
    said = [strings.denied(f) for f in denied if f not in covered]
    if not said:
        return ""
    return strings.prompt("noted_no_danger", things=join_words(said, strings.prompt("and")))


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
    steps = [strings.advice(a) for a in result.advice]
    reasons = [strings.danger(sign) for sign in result.danger_signs]
    lines = (
        *(f"{i}. {step}" for i, step in enumerate(steps, 1)),
        *reasons,
        strings.prompt("disclaimer"),
    )
    return Spoken(
        tuple(parts),
        strings.prompt("card_title_danger"),
        lines,
        Screen(strings, knowledge, result, "", tuple(steps)),
    )


def complaint(strings: LocaleStrings, knowledge: Knowledge, result: TriageResult) -> Spoken:
    """A common complaint the article does not cover (a blister, a stitch): what it may be,
    one or two steps and when to get help, and that Leg Check mainly checks tingling,
    itching and numbness. Never one of the article's causes."""
    first = strings.complaint(result.complaints[0])
    may_be = strings.prompt("complaint_may_be", complaint=first["name"])
    steps = [strings.advice(a) for a in result.advice]
    parts = [
        f"{may_be} {first['explain']}",
        *steps,
        strings.prompt("complaint_scope"),
        strings.prompt("disclaimer"),
    ]
    title = strings.prompt("card_title") + ": " + first["name"]
    return Spoken(
        tuple(parts),
        title,
        _card_lines(
            strings, f"{may_be} {first['explain']}", [], steps, strings.prompt("complaint_scope")
        ),
        Screen(strings, knowledge, result, "", tuple(steps)),
    )


def _card_lines(
    strings: LocaleStrings, summary: str, first: list[str], steps: list[str], level: str
) -> tuple[str, ...]:
    """The card: what came first (see a doctor), the summary, the steps numbered, the level
    and the disclaimer; empty lines dropped."""
    lines = [*first, summary]
    if steps:
        lines.append(strings.prompt("card_steps"))
        lines.extend(f"{i}. {step}" for i, step in enumerate(steps, 1))
    lines.extend([level, strings.prompt("disclaimer")])
    return tuple(line for line in lines if line)


def _doctor_first(
    strings: LocaleStrings, knowledge: Knowledge, result: TriageResult, recurred: str = ""
) -> tuple[list[str], set[str]]:
    """The runner's history and the article's red flags, said first with a plain "see a
    doctor"; and the advice that covers, so it is not said again. A symptom that came
    back (``recurred``) is said first and stands for the history rule's sentence."""
    history = [strings.raised(h.id) for h in knowledge.history_rules if h.id in result.raised_by][
        :1
    ]
    if recurred:
        # the count says what a rule that only counts repeats would; a rule about how long
        # it has lasted still says why
        history = [
            recurred,
            *(
                strings.raised(h.id)
                for h in knowledge.history_rules
                if h.id in result.raised_by and h.min_days_ago > 0
            ),
        ][:2]
    because = red_flags(strings, knowledge, result)
    if not history and not because:
        return [], set()
    if not because and not any(h.id in result.raised_by for h in knowledge.history_rules):
        return history, set()  # it came back, but not so that a doctor is needed
    parts = [*history, because or strings.prompt("see_doctor_plainly")]
    covered = {a for e in knowledge.escalations if e.id in result.raised_by for a in e.advice}
    covered |= {a for h in knowledge.history_rules if h.id in result.raised_by for a in h.advice}
    return parts, covered


def outcome(
    strings: LocaleStrings, knowledge: Knowledge, result: TriageResult, recurred: str = ""
) -> Spoken:
    """See a doctor first when a red flag says so; then what it may be and why, what to
    do now, and when to see a doctor. ``recurred`` (see :func:`recurrence`) is said
    before all of it."""
    if result.is_danger:
        return danger(strings, knowledge, result)
    if result.complaints:
        return complaint(strings, knowledge, result)
    first, covered = _doctor_first(strings, knowledge, result, recurred)
    advice = [strings.advice(a) for a in result.advice if a not in covered]
    if not result.contenders:
        parts = [*first, strings.prompt("unclear")]
        if advice:
            parts.append(strings.prompt("what_to_do"))
            parts.extend(advice)
        parts.append(strings.level(result.level))
        parts.append(strings.prompt("disclaimer"))
        return Spoken(
            tuple(p for p in parts if p),
            strings.prompt("card_title_unclear"),
            _card_lines(
                strings, strings.prompt("unclear"), first, advice, strings.level(result.level)
            ),
            Screen(strings, knowledge, result, " ".join(first), tuple(advice)),
        )
    top = strings.cause(result.top.id)
    may_be = strings.prompt("may_be", cause=top["name"])
    also = [
        strings.prompt("may_also_be", cause=strings.cause(other)["name"])
        for other in result.contenders[1:2]
    ]
    # said in about 30 seconds: what can go, goes first (the card and screen keep it all)
    optional = {
        "mentioned": _mentioned(strings, knowledge, result),
        "explain": top["explain"],
        "what_to_do": strings.prompt("what_to_do"),
    }
    # the leader's own steps are always said; a second cause's only when there is time
    # (the card and the screen list them all)
    leaders = {strings.advice(x) for x in knowledge.cause(result.top.id).advice}
    own = [a for a in advice if a in leaders]
    steps = advice
    for drop in (None, "explain", "mentioned", "what_to_do", "steps"):
        if drop == "steps":
            steps = [*own, strings.prompt("card_more")] if own != advice else advice
        elif drop is not None:
            optional[drop] = ""
        parts = [*first, optional["mentioned"], f"{may_be} {optional['explain']}".strip(), *also]
        if steps:
            parts.append(optional["what_to_do"])
            parts.extend(steps)
        parts.append(strings.level(result.level))
        parts.append(strings.prompt("disclaimer"))
        if word_count(parts) <= MAX_WORDS:
            break
    title = strings.prompt("card_title") + ": " + top["name"]
    return Spoken(
        tuple(p for p in parts if p),
        title,
        _card_lines(
            strings, f"{may_be} {top['explain']}", first, advice, strings.level(result.level)
        ),
        Screen(strings, knowledge, result, " ".join(first), tuple(advice)),
    )


def follow_up(
    strings: LocaleStrings, knowledge: Knowledge, symptom: Sequence[str], days_ago: int
) -> tuple[Spoken, Spoken]:
    """ "Yesterday you told me about tingling in your shins or calves. Is it still there?",
    and its reprompt; ``symptom`` as :func:`skill.history.symptom_of` gives it."""
    said = describe_features(strings, knowledge, list(symptom))
    return (
        Spoken((strings.prompt(f"follow_up_{days_ago}", symptom=said),)),
        Spoken((strings.prompt("follow_up_reprompt"),)),
    )


def recurrence(strings: LocaleStrings, knowledge: Knowledge, came_back: Recurrence) -> str:
    """ "That's the third time this month you've mentioned tingling in your shins or calves." """
    symptom = describe_features(strings, knowledge, list(came_back.features))
    if came_back.times <= ORDINALS:
        return strings.prompt(
            "recurrence", nth=strings.prompt(f"ordinal_{came_back.times}"), symptom=symptom
        )
    return strings.prompt("recurrence_many", count=came_back.times, symptom=symptom)


def how_often(strings: LocaleStrings, count: int) -> str:
    """ "once", "twice", "3 times"."""
    if count <= 2:
        return strings.prompt(f"times_{count}")
    return strings.prompt("times_many", count=count)


def how_long_ago(strings: LocaleStrings, day: date, today: date) -> str:
    """ "today", "yesterday", "4 days ago" (a day after ``today`` counts as today)."""
    days = max((today - day).days, 0)
    if days <= 1:
        return strings.prompt(f"when_{days}")
    return strings.prompt("when_days", days=days)


def history_summary(
    strings: LocaleStrings, knowledge: Knowledge, summary: Summary, today: date, days: int
) -> Spoken:
    """ "In the last 30 days you've told me about 3 check-ins: tingling in your shins or
    calves twice, and itching in your legs once. The last one was yesterday, and it looked
    like low electrolytes." """
    title = strings.prompt("card_title_history")
    if summary.last is None:
        return Spoken((strings.prompt("history_none", days=days),), title)
    shown = [
        f"{describe_features(strings, knowledge, list(s.features))} {how_often(strings, s.times)}"
        for s in summary.symptoms[:3]
    ]
    parts = [
        strings.prompt(
            "history_summary",
            days=days,
            count=strings.count_checkins(summary.count),
            symptoms=join_words(shown, strings.prompt("and")),
        )
        if shown
        else strings.prompt("history_count", days=days, count=strings.count_checkins(summary.count))
    ]
    last = summary.last
    said_when = how_long_ago(strings, last.day, today)
    if last.cause in {c.id for c in knowledge.causes}:
        parts.append(
            strings.prompt("history_last", when=said_when, cause=strings.cause(last.cause)["name"])
        )
    else:
        parts.append(strings.prompt("history_last_unclear", when=said_when))
    if summary.gone is not None:
        parts.append(
            strings.prompt("history_last_gone", when=how_long_ago(strings, summary.gone, today))
        )
    return Spoken(tuple(parts), title)
