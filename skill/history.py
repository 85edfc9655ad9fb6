"""Earlier check-ins, as the engine and the speech need them.

The records themselves live in :mod:`skill.store`; this module says how long
they are kept (:func:`retention`, the knowledge's history window, which whoever
builds a store gives it), turns them into the engine's plain
:class:`~skill.triage.PriorCheckIn` values, notices a symptom that comes back
(:func:`recurrence`), sums up the recent ones for "how have my legs been"
(:func:`summarize`), and finds the complaint a returning runner is asked about
(:func:`open_complaint`). Pure functions, no SDK.

A follow-up that hears a complaint has gone is kept as a check-in of its own, with the
complaint's features and cause and the level :data:`RESOLVED`: a record of the answer, not
a symptom. The engine's history, a symptom that comes back and the summary's counts pass
over it; the summary says it ("you told me today that it had gone"), and a complaint found
gone is not asked about again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from skill.knowledge import NO_CAUSE, Knowledge
from skill.store import CheckIn, Retention
from skill.triage import PriorCheckIn

RESOLVED = "resolved"
"""The level kept with a check-in that records a follow-up's "it's gone" (never a triage
level of the knowledge file: ``tests/test_history.py`` checks)."""
FOLLOW_UP_DAYS = 3
"""A complaint is followed up when the runner comes back within this many days of it
(0: the same day)."""


def retention(knowledge: Knowledge) -> Retention:
    """How long check-ins are kept: the knowledge's ``history_window_days``. Whoever builds
    a store gives it this (the store never reads the knowledge itself)."""
    return Retention(knowledge.policy.history_window_days)


def is_resolved(checkin: CheckIn) -> bool:
    """Whether the check-in records a follow-up's "it's gone" (see :data:`RESOLVED`)."""
    return checkin.level == RESOLVED


def symptom_checkins(checkins: Sequence[CheckIn]) -> list[CheckIn]:
    """The check-ins that report symptoms: all but those recording "it's gone"."""
    return [c for c in checkins if not is_resolved(c)]


def prior_checkins(checkins: Sequence[CheckIn], today: date) -> list[PriorCheckIn]:
    """The engine's view of earlier check-ins: how many days ago, and the features (a
    complaint found gone is no symptom, so it is passed over)."""
    return [
        PriorCheckIn(float(max(c.age_days(today), 0)), c.features)
        for c in checkins
        if not is_resolved(c)
    ]


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
        for c in symptom_checkins(checkins)
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
    gone: date | None = None
    """The day a follow-up heard that the last complaint had gone, when nothing came since."""


def summarize(
    checkins: Sequence[CheckIn], knowledge: Knowledge, today: date, window_days: int
) -> Summary:
    """Group the check-ins within the window by what they were about; a follow-up's "it's
    gone" is not counted as a check-in of its own, but said when it came last."""
    within = [c for c in checkins if c.age_days(today) <= window_days]
    recent = symptom_checkins(within)
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
    gone = within[-1].day if last is not None and is_resolved(within[-1]) else None
    return Summary(len(recent), tuple(counts), last, gone)


class OpenComplaint(NamedTuple):
    """The complaint a returning runner is asked about: "Yesterday you told me about
    tingling in your shins. Is it still there?"."""

    checkin: CheckIn
    days_ago: int
    """0 (earlier today) to :data:`FOLLOW_UP_DAYS`."""
    symptom: tuple[str, ...]
    """What it was about, as said back (:func:`symptom_of`): a sensation first."""


def open_complaint(
    checkins: Sequence[CheckIn], knowledge: Knowledge, today: date
) -> OpenComplaint | None:
    """The runner's latest check-in, when it is a complaint still worth asking about: from
    today back to :data:`FOLLOW_UP_DAYS` days ago, a sensation to name, not one found gone
    since, and not at the most urgent level (that advice was to get help at once, not to
    wait and see)."""
    if not checkins:
        return None
    latest = checkins[-1]  # (kept oldest first)
    days_ago = latest.age_days(today)
    if is_resolved(latest) or not 0 <= days_ago <= FOLLOW_UP_DAYS:
        return None
    levels = knowledge.levels
    if latest.level not in levels or levels[latest.level] == max(levels.values()):
        return None
    symptom = symptom_of(knowledge, latest.features)
    if not any(knowledge.features[f].category == "sensation" for f in symptom):
        return None
    return OpenComplaint(latest, days_ago, symptom)


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
