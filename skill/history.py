"""Earlier check-ins, as the engine and the speech need them.

The records themselves live in :mod:`skill.store`; this module says how long
they are kept (:func:`retention`, the knowledge's history window, which whoever
builds a store gives it), turns them into the engine's plain
:class:`~skill.triage.PriorCheckIn` values, notices a symptom that comes back
(:func:`recurrence`), and sums up the recent ones for "how have my legs been"
(:func:`summarize`). Pure functions, no SDK.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from skill.knowledge import NO_CAUSE, Knowledge
from skill.store import CheckIn, Retention
from skill.triage import PriorCheckIn


def retention(knowledge: Knowledge) -> Retention:
    """How long check-ins are kept: the knowledge's ``history_window_days``. Whoever builds
    a store gives it this (the store never reads the knowledge itself)."""
    return Retention(knowledge.policy.history_window_days)


def prior_checkins(checkins: Sequence[CheckIn], today: date) -> list[PriorCheckIn]:
    """The engine's view of earlier check-ins: how many days ago, and the features."""
    return [PriorCheckIn(float(max(c.age_days(today), 0)), c.features) for c in checkins]


def _in_knowledge_order(knowledge: Knowledge, features: Iterable[str]) -> tuple[str, ...]:
    """Features in the knowledge file's order (so they are always said the same way)."""
    wanted = set(features)
    return tuple(f for f in knowledge.features if f in wanted)


def symptom_of(knowledge: Knowledge, features: Iterable[str]) -> tuple[str, ...]:
    """What a check-in was about, as said back: its sensations and where (the most
    specific places only: "between the toes", not also "in your feet")."""
    known = [f for f in features if f in knowledge.features]
    sensations = [f for f in known if knowledge.features[f].category == "sensation"]
    places = [f for f in known if knowledge.features[f].category == "place"]
    implied = {i for f in places for i in knowledge.features[f].implies}
    return _in_knowledge_order(
        knowledge, [*sensations, *(p for p in places if p not in implied)][:4]
    )


class Recurrence(NamedTuple):
    """A symptom this check-in shares with earlier ones in the window."""

    features: tuple[str, ...]
    """The sensations that came back, and where the runner feels them now."""
    times: int
    """How many check-ins in the window mention it, this one included (2 or more)."""


def recurrence(
    checkins: Sequence[CheckIn],
    present: Iterable[str],
    knowledge: Knowledge,
    today: date,
    window_days: int,
) -> Recurrence | None:
    """The sensations of this check-in that earlier check-ins mentioned too, if any."""
    now = symptom_of(knowledge, present)
    sensations = {f for f in now if knowledge.features[f].category == "sensation"}
    if not sensations:
        return None
    matching = [
        c
        for c in checkins
        if 0 <= c.age_days(today) <= window_days and sensations.intersection(c.features)
    ]
    if not matching:
        return None
    came_back = sensations.intersection(f for c in matching for f in c.features)
    places = [f for f in now if knowledge.features[f].category == "place"][-1:]  # narrowest
    return Recurrence(_in_knowledge_order(knowledge, [*came_back, *places]), len(matching) + 1)


class SymptomCount(NamedTuple):
    """One symptom of the recent check-ins (see :func:`symptom_of`)."""

    features: tuple[str, ...]
    times: int
    """How many check-ins in the window mention it."""
    last: date
    """The day of the latest of them."""


@dataclass(frozen=True)
class Summary:
    """The recent check-ins in a few words' worth of data."""

    count: int
    symptoms: tuple[SymptomCount, ...]
    """The symptoms mentioned, most often first (then most recent first)."""
    last: CheckIn | None


def summarize(
    checkins: Sequence[CheckIn], knowledge: Knowledge, today: date, window_days: int
) -> Summary:
    """Group the check-ins within the window by what they were about."""
    recent = [c for c in checkins if c.age_days(today) <= window_days]
    groups: dict[tuple[str, ...], list[CheckIn]] = {}
    for checkin in recent:
        key = symptom_of(knowledge, checkin.features)
        if key:
            groups.setdefault(key, []).append(checkin)
    counts = [
        SymptomCount(key, len(items), max(c.day for c in items)) for key, items in groups.items()
    ]
    counts.sort(key=lambda s: (-s.times, -s.last.toordinal()))
    last = max(recent, key=lambda c: c.day) if recent else None
    return Summary(len(recent), tuple(counts), last)


def cause_to_keep(
    knowledge: Knowledge,
    contenders: Sequence[str],
    danger_signs: Sequence[str],
    complaints: Sequence[str] = (),
) -> str:
    """The cause id kept with a check-in: the danger sign, the adjacent complaint or the
    cause the advice named, or :data:`~skill.knowledge.NO_CAUSE` when it named none (never
    a cause it did not say)."""
    if danger_signs:
        return danger_signs[0]
    if complaints:
        return complaints[0]
    if contenders:
        return contenders[0]
    return NO_CAUSE
