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
from itertools import combinations
from typing import NamedTuple

from skill.knowledge import Cause, DangerSign, Knowledge, load_knowledge


class PriorCheckIn(NamedTuple):
    """An earlier check-in: how long ago it was and the features the runner had."""

    days_ago: float
    features: tuple[str, ...]


class RankedCause(NamedTuple):
    id: str
    score: float
    level: str
    reasons_for: tuple[str, ...]
    reasons_against: tuple[str, ...]


class TriageResult(NamedTuple):
    causes: tuple[RankedCause, ...]
    """Every cause, best first (a cause with a core symptom heard before any without)."""
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
    present: frozenset[str] = frozenset()
    needs_description: bool = False
    """Nothing has been heard yet, and the open question has not failed: ask it."""
    guided: bool = False
    """The next question is one of the guided path's."""
    complaints: tuple[str, ...] = ()
    """Common post-run complaints outside the article (a blister, a stitch) that the advice
    answers instead of naming a cause."""

    @property
    def top(self) -> RankedCause:
        return self.causes[0]

    @property
    def is_danger(self) -> bool:
        return bool(self.danger_signs)


def present_features(knowledge: Knowledge, answers: Mapping[str, bool]) -> frozenset[str]:
    """The features answered yes, with everything they imply and every report-wide
    combination they make (a calf heard as swollen, then as hot, is the clot sign)."""
    found: set[str] = set()
    todo = [fid for fid, value in answers.items() if value and fid in knowledge.features]
    while True:
        while todo:
            fid = todo.pop()
            if fid in found:
                continue
            found.add(fid)
            todo.extend(knowledge.features[fid].implies)
        todo = [
            c.feature
            for c in knowledge.combinations
            if c.scope == "report" and c.feature not in found and c.holds(found)
        ]
        if not todo:
            return frozenset(found)


def answered_features(
    knowledge: Knowledge, answers: Mapping[str, bool], asked: Iterable[str], present: frozenset[str]
) -> set[str]:
    """Every feature whose question needs no asking: answered, asked, heard, implied,
    ruled out, or already answered by what was heard (a spasm answers 'twitching?')."""
    ruled_out = {x for f in present for x in knowledge.features[f].excludes}
    done = set(answers) | set(asked) | set(present) | ruled_out
    for feat in knowledge.answerable:
        if feat.id not in done and any(present.issuperset(group) for group in feat.answered_by):
            done.add(feat.id)
    return done


def _score(
    cause: Cause,
    present: frozenset[str],
    absent: frozenset[str],
    weights: Mapping[str, tuple[int, float, float]],
) -> RankedCause:
    # the features heard, in the order of the cause's evidence (so the sum and the order of
    # equal reasons do not depend on how a set happens to iterate)
    hits = [(weights[fid][0], weights[fid][1], fid) for fid in present.intersection(weights)]
    if absent:
        hits += [(weights[fid][0], weights[fid][2], fid) for fid in absent.intersection(weights)]
    hits.sort()
    score = cause.prior
    pro: list[tuple[float, str]] = []
    con: list[tuple[float, str]] = []
    for _, weight, fid in hits:
        score += weight
        if weight > 0:
            pro.append((weight, fid))
        elif weight < 0:
            con.append((weight, fid))
    if len(pro) > 1:
        pro.sort(key=lambda p: -p[0])
    if len(con) > 1:
        con.sort(key=lambda p: p[0])
    return RankedCause(
        cause.id,
        round(score, 3),
        cause.level,
        tuple([f for _, f in pro]),
        tuple([f for _, f in con]),
    )


def _merge(
    advice: list[str], more: Iterable[str], present: frozenset[str], knowledge: Knowledge
) -> None:
    for item in more:
        if item not in advice and not blocked(knowledge, item, present):
            advice.append(item)


def blocked(knowledge: Knowledge, advice: str, present: frozenset[str]) -> bool:
    """Whether the advice is left out for this runner: it does not apply (``skip_when``), or
    it could harm (``contraindicated_by``: no advice to drink with signs of water overload)."""
    entry = knowledge.advice[advice]
    return not present.isdisjoint(entry.get("skip_when", ())) or not present.isdisjoint(
        entry.get("contraindicated_by", ())
    )


def danger_signs_of(knowledge: Knowledge, present: frozenset[str]) -> list[DangerSign]:
    """The danger signs present, less those that yield to a more precise one also present
    (confusion on its own yields to heat stroke when the runner is overheated too)."""
    found = [d for d in knowledge.danger_signs if not present.isdisjoint(d.any_features)]
    if len(found) < 2:
        return found
    ids = {d.id for d in found}
    return [d for d in found if ids.isdisjoint(d.yields_to)]


def complaints_of(knowledge: Knowledge, present: frozenset[str]) -> list[str]:
    """The adjacent complaints present, unless an article symptom is heard too (then the
    check-in goes on as usual, so a complaint never hides an article cause)."""
    return [
        c.id
        for c in knowledge.complaints
        if not present.isdisjoint(c.any_features) and present.isdisjoint(c.unless_features)
    ]


def _separation(knowledge: Knowledge, feature: str, contenders: Sequence[str]) -> float:
    """How strongly a yes/no answer about ``feature`` would move the contenders apart."""
    weights: list[tuple[float, float]] = []
    for cid in contenders:
        _, present, absent = knowledge.weights[cid].get(feature, (0, 0.0, 0.0))
        weights.append((present, absent))
    total = 0.0
    for (i, (ya, na)), (_, (yb, nb)) in combinations(enumerate(weights), 2):
        pair = abs(ya - yb) + abs(na - nb)
        # telling the leader from the rest matters most
        total += pair * (2.0 if i == 0 else 1.0)
    return total


def _screen(kb: Knowledge, present: frozenset[str], answered: set[str]) -> str | None:
    for sign in kb.danger_signs:
        if (
            sign.screen_question
            and sign.screen_question not in answered
            and any(present.issuperset(group) for group in sign.screen_when)
        ):
            return sign.screen_question
    return None


def assess(
    answers: Mapping[str, bool],
    asked: Sequence[str] = (),
    history: Sequence[PriorCheckIn] = (),
    knowledge: Knowledge | None = None,
    *,
    questions_left: int | None = None,
    guided: bool = False,
) -> TriageResult:
    """Rank the causes, pick the triage level and the next question.

    ``questions_left`` is how many more questions the conversation can afford
    (by default the policy's limit less those asked); a safety screen is asked
    even when none are left. With ``guided`` (the open question yielded nothing),
    the policy's guided yes/no questions are asked in turn, instead of waiting for
    a description, until some cause has support.
    """
    kb = knowledge or load_knowledge()
    rank = kb.levels
    present = present_features(kb, answers)
    absent = frozenset(f for f, v in answers.items() if v is False and f in kb.features) - present
    budget = kb.policy.max_questions - len(asked) if questions_left is None else questions_left

    ranked = sorted(
        (_score(c, present, absent, kb.weights[c.id]) for c in kb.causes),
        key=lambda rc: -rc.score,  # stable: knowledge order breaks ties
    )
    answered = answered_features(kb, answers, asked, present)

    # 1. Danger signs win over everything else.
    dangers = danger_signs_of(kb, present)
    if dangers:
        level = max((d.level for d in dangers), key=lambda lv: rank[lv])
        advice: list[str] = []
        for d in sorted(dangers, key=lambda d: -rank[d.level]):
            _merge(advice, d.advice, present, kb)
        return TriageResult(
            tuple(ranked),
            (),
            level,
            tuple(d.id for d in dangers),
            (),
            tuple(advice),
            True,
            None,
            present,
        )

    # 2. A common complaint outside the article (a blister, a stitch) gets its own answer,
    #    never an article cause and never the questionnaire; a safety screen still comes first.
    complaints = complaints_of(kb, present)
    if complaints:
        by_id = {c.id: c for c in kb.complaints}
        advice_c: list[str] = []
        for cid in complaints:
            _merge(advice_c, by_id[cid].advice, present, kb)
        level = max((by_id[c].level for c in complaints), key=lambda lv: rank[lv])
        screen = _screen(kb, present, answered)
        return TriageResult(
            tuple(ranked),
            (),
            level,
            (),
            (),
            tuple(advice_c),
            screen is None,
            screen,
            present,
            complaints=tuple(complaints),
        )

    # 3. A cause is named only on its own evidence: one of its core symptoms heard.
    eligible = [rc for rc in ranked if not present.isdisjoint(kb.cause(rc.id).core)]
    lead = eligible[0] if eligible else None
    supported = lead is not None and lead.score >= kb.policy.min_top_score
    contenders = [
        rc.id
        for rc in eligible
        if rc.score > 0 and lead is not None and lead.score - rc.score < kb.policy.min_margin
    ][:3]
    if supported and lead is not None and len(contenders) < 3:
        # two complaints in one breath ("twitching calves and burning feet"): a cause with
        # a core symptom the leader does not explain is named too, on its own evidence
        unexplained = present.intersection(kb.features_in("sensation")).difference(
            *(kb.speaks_for[c] for c in contenders)
        )
        second: tuple[float, str] | None = None
        for rc in eligible if unexplained else ():
            if rc.id in contenders:
                continue
            weights = kb.weights[rc.id]
            # summed in the evidence's order, so the total never depends on a set's order
            covers = sum(
                w[1]
                for w in sorted(weights[f] for f in unexplained.intersection(kb.speaks_for[rc.id]))
            )
            if covers <= 0 or (second is not None and covers <= second[0]):
                continue
            own = kb.cause(rc.id).prior + sum(
                w[1] for w in sorted(weights[f] for f in present.intersection(kb.speaks_for[rc.id]))
            )
            if own >= kb.policy.min_top_score:  # (every eligible cause has a core symptom)
                second = (covers, rc.id)
        if second is not None:
            contenders.append(second[1])
    advice = []
    if supported:
        level = max((kb.cause(cid).level for cid in contenders), key=lambda lv: rank[lv])
        for cid in contenders:
            _merge(advice, kb.cause(cid).advice, present, kb)
    else:
        level = min(rank, key=lambda lv: rank[lv])
        _merge(advice, kb.policy.general_advice, present, kb)

    # 4. The article's red flags and the runner's history raise it.
    raised: list[str] = []
    base_level = level
    for esc in kb.escalations:
        if not present.intersection(esc.any_features):
            continue
        if esc.raise_from is not None and base_level not in esc.raise_from:
            continue
        raised.append(esc.id)
        if rank[esc.raise_to] > rank[level]:
            level = esc.raise_to
    sensations = {f for f in present if f in kb.features and kb.features[f].category == "sensation"}
    for rule in kb.history_rules:
        matches = sum(
            1
            for prior in history
            if rule.min_days_ago <= prior.days_ago <= rule.window_days
            and sensations.intersection(prior.features)
        )
        if matches >= rule.min_matches:
            raised.append(rule.id)
            if rank[rule.raise_to] > rank[level]:
                level = rule.raise_to
    if raised:
        # see a doctor, said plainly and first
        first: list[str] = []
        for rule_id in raised:
            rule_advice = next(
                (e.advice for e in kb.escalations if e.id == rule_id),
                next((h.advice for h in kb.history_rules if h.id == rule_id), ()),
            )
            _merge(first, rule_advice, present, kb)
        advice = first + [a for a in advice if a not in first]

    # 5. The next question: a safety screen first, then the red flags, then what
    #    tells the causes apart, then the leading cause's hallmark.
    next_question = _screen(kb, present, answered)
    needs_description = False
    is_guided = False
    if next_question is None and budget > 0:
        if not present:
            if guided:
                next_question = next(
                    (f for f in kb.policy.guided_questions if f not in answered), None
                )
                is_guided = next_question is not None
            else:
                needs_description = True
        if next_question is None and present and guided and not supported:
            # still on the guided path: the likeliest cause's hallmark, else the next
            # broad question, until some cause has support
            key = kb.cause(lead.id).key_question if lead is not None else None
            if key is not None and key not in answered:
                next_question = key
            else:
                next_question = next(
                    (f for f in kb.policy.guided_questions if f not in answered), None
                )
                is_guided = next_question is not None
        if next_question is None and present and not needs_description:
            # the red flags before the causes; but the leader's hallmark first when a
            # yes to it would rule the red flag out (eased after cooling down: not days)
            hallmark = kb.cause(lead.id).key_question if lead is not None else None
            rules_out = (
                set(kb.features[hallmark].excludes)
                if hallmark is not None and hallmark not in answered
                else set()
            )
            for fid in kb.policy.confirm_before_advice:
                if fid in answered or fid in rules_out:
                    continue
                if any(
                    fid in esc.any_features and rank[esc.raise_to] > rank[level]
                    for esc in kb.escalations
                ):
                    next_question = fid
                    break
        confident = (
            supported
            and lead is not None
            and (len(eligible) < 2 or lead.score - eligible[1].score >= kb.policy.min_margin)
        )
        if next_question is None and present and not confident:
            pool = (
                [rc.id for rc in eligible[:3]]
                if len(eligible) >= 2
                else [rc.id for rc in ranked[:3]]
            )
            best = 0.0
            for feat in kb.questions:
                if feat.id in answered:
                    continue
                sep = _separation(kb, feat.id, pool)
                if sep > best:
                    best, next_question = sep, feat.id
        if next_question is None and lead is not None:
            key = kb.cause(lead.id).key_question
            if key is not None and key not in answered:
                # Before advising, confirm the leading cause by its hallmark.
                next_question = key
    enough = next_question is None and not needs_description
    named = tuple(contenders) if supported else ()
    top_first = tuple(ranked) if lead is None else (lead, *[r for r in ranked if r is not lead])
    return TriageResult(
        top_first,
        named,
        level,
        (),
        tuple(raised),
        tuple(advice),
        enough,
        next_question,
        present,
        needs_description,
        is_guided,
    )
