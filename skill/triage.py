"""The triage engine: plain data in, plain data out.

It never sees the Alexa SDK. Given the symptom features answered so far
(``True`` for yes, ``False`` for no, missing for unknown), the questions
already asked and the runner's earlier check-ins, :func:`assess` ranks the
causes from the knowledge base with the reasons for and against each, picks a
triage level, says whether enough is known, and names the single most useful
yes/no question to ask next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from skill.knowledge import Cause, Knowledge, load_knowledge


@dataclass(frozen=True)
class PriorCheckIn:
    """An earlier check-in: how long ago it was and the features the runner had."""

    days_ago: float
    features: tuple[str, ...]


@dataclass(frozen=True)
class RankedCause:
    id: str
    score: float
    level: str
    reasons_for: tuple[str, ...]
    reasons_against: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    causes: tuple[RankedCause, ...]
    """Every cause, best first."""
    contenders: tuple[str, ...]
    """The causes close enough to the leader to mention (the leader first); empty when
    no cause has enough support to be named."""
    level: str
    danger_signs: tuple[str, ...]
    raised_by: tuple[str, ...]
    """Ids of the escalation and history rules that raised the level."""
    advice: tuple[str, ...]
    enough_known: bool
    next_question: str | None
    present: frozenset[str] = field(default_factory=frozenset)

    @property
    def top(self) -> RankedCause:
        return self.causes[0]

    @property
    def is_danger(self) -> bool:
        return bool(self.danger_signs)


def present_features(knowledge: Knowledge, answers: Mapping[str, bool]) -> frozenset[str]:
    """The features answered yes, with everything they imply."""
    found: set[str] = set()
    todo = [fid for fid, value in answers.items() if value and fid in knowledge.features]
    while todo:
        fid = todo.pop()
        if fid in found:
            continue
        found.add(fid)
        todo.extend(knowledge.features[fid].implies)
    return frozenset(found)


def _score(cause: Cause, present: frozenset[str], absent: frozenset[str]) -> RankedCause:
    score = cause.prior
    pro: list[tuple[float, str]] = []
    con: list[tuple[float, str]] = []
    for ev in cause.evidence:
        if ev.feature in present:
            weight = ev.present
        elif ev.feature in absent:
            weight = ev.absent
        else:
            continue
        score += weight
        if weight > 0:
            pro.append((weight, ev.feature))
        elif weight < 0:
            con.append((weight, ev.feature))
    pro.sort(key=lambda p: -p[0])
    con.sort(key=lambda p: p[0])
    return RankedCause(cause.id, round(score, 3), cause.level,
                       tuple(f for _, f in pro), tuple(f for _, f in con))


def _merge(advice: list[str], more: Iterable[str]) -> None:
    for item in more:
        if item not in advice:
            advice.append(item)


def _separation(knowledge: Knowledge, feature: str, contenders: Sequence[str]) -> float:
    """How strongly a yes/no answer about ``feature`` would move the contenders apart."""
    weights: list[tuple[float, float]] = []
    for cid in contenders:
        present = absent = 0.0
        for ev in knowledge.cause(cid).evidence:
            if ev.feature == feature:
                present, absent = ev.present, ev.absent
        weights.append((present, absent))
    total = 0.0
    for (i, (ya, na)), (_, (yb, nb)) in combinations(enumerate(weights), 2):
        pair = abs(ya - yb) + abs(na - nb)
        # telling the leader from the rest matters most
        total += pair * (2.0 if i == 0 else 1.0)
    return total


def assess(
    answers: Mapping[str, bool],
    asked: Sequence[str] = (),
    history: Sequence[PriorCheckIn] = (),
    knowledge: Knowledge | None = None,
) -> TriageResult:
    """Rank the causes, pick the triage level and the next question."""
    kb = knowledge or load_knowledge()
    rank = kb.levels
    present = present_features(kb, answers)
    absent = frozenset(f for f, v in answers.items() if v is False and f in kb.features) - present

    ranked = sorted(
        (_score(c, present, absent) for c in kb.causes),
        key=lambda rc: -rc.score,  # stable: knowledge order breaks ties
    )
    top = ranked[0]
    contenders = [rc.id for rc in ranked
                  if rc.score > 0 and top.score - rc.score < kb.policy.min_margin][:3]
    if not contenders:
        contenders = [top.id]

    # 1. Danger signs win over everything else.
    dangers = [d for d in kb.danger_signs if present.intersection(d.any_features)]
    if dangers:
        level = max((d.level for d in dangers), key=lambda lv: rank[lv])
        advice: list[str] = []
        for d in sorted(dangers, key=lambda d: -rank[d.level]):
            _merge(advice, d.advice)
        return TriageResult(tuple(ranked), tuple(contenders), level,
                            tuple(d.id for d in dangers), (), tuple(advice), True, None, present)

    # 2. The likely causes set the level; a close runner-up counts too. When no
    #    cause has enough support, none is named: the article's general advice stands.
    supported = top.score >= kb.policy.min_top_score
    advice = []
    if supported:
        level = max((kb.cause(cid).level for cid in contenders), key=lambda lv: rank[lv])
        for cid in contenders:
            _merge(advice, kb.cause(cid).advice)
    else:
        level = min(rank, key=lambda lv: rank[lv])
        _merge(advice, kb.policy.general_advice)

    # 3. The article's escalation rules and the runner's history raise it.
    raised: list[str] = []
    base_level = level
    for esc in kb.escalations:
        if not present.intersection(esc.any_features):
            continue
        if esc.raise_from is not None and base_level not in esc.raise_from:
            continue
        raised.append(esc.id)
        _merge(advice, esc.advice)
        if rank[esc.raise_to] > rank[level]:
            level = esc.raise_to
    sensations = present.intersection(kb.features_in("sensation"))
    for rule in kb.history_rules:
        matches = sum(
            1 for prior in history
            if rule.min_days_ago <= prior.days_ago <= rule.window_days
            and sensations.intersection(prior.features)
        )
        if matches >= rule.min_matches:
            raised.append(rule.id)
            _merge(advice, rule.advice)
            if rank[rule.raise_to] > rank[level]:
                level = rule.raise_to

    # 4. The next question: a danger screen first, then what best separates the causes.
    next_question: str | None = None
    confident = top.score >= kb.policy.min_top_score and (
        len(ranked) < 2 or top.score - ranked[1].score >= kb.policy.min_margin
    )
    ruled_out = {x for f in present for x in kb.features[f].excludes}
    answered = set(answers) | set(asked) | present | ruled_out
    if len(asked) < kb.policy.max_questions:
        for sign in kb.danger_signs:
            if (sign.screen_question and sign.screen_question not in answered
                    and present.intersection(sign.screen_when)):
                next_question = sign.screen_question
                break
        if next_question is None and not confident:
            pool = [rc.id for rc in ranked[:3]] if len(contenders) < 2 else contenders
            best = 0.0
            for feat in kb.features.values():
                if not feat.question or feat.category == "danger" or feat.id in answered:
                    continue
                sep = _separation(kb, feat.id, pool)
                if sep > best:
                    best, next_question = sep, feat.id
        key = kb.cause(top.id).key_question
        if next_question is None and key is not None and key not in answered:
            # Before advising, confirm the leading cause by its hallmark.
            next_question = key
        if next_question is None:
            # Before advising, ask about what would make the article send them to a doctor.
            for fid in kb.policy.confirm_before_advice:
                if fid in answered:
                    continue
                if any(fid in esc.any_features and rank[esc.raise_to] > rank[level]
                       for esc in kb.escalations):
                    next_question = fid
                    break
    enough = next_question is None
    named = tuple(contenders) if supported else ()
    return TriageResult(tuple(ranked), named, level, (), tuple(raised),
                        tuple(advice), enough, next_question, present)
