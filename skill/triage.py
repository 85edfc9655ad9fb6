"""The triage engine: plain data in, plain data out.

It never sees the Alexa SDK. Given the symptom features answered so far
(``True`` for yes, ``False`` for no, missing for unknown), the questions
already asked and the runner's earlier check-ins, :func:`assess` ranks the
causes from the knowledge base with the reasons for and against each, picks a
triage level, says whether enough is known, and names the single most useful
yes/no question to ask next, in five steps, each a function of its own (see
:func:`assess`).
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


def _add_advice(
    advice: list[str], more: Iterable[str], present: frozenset[str], knowledge: Knowledge
) -> None:
    """Add to ``advice`` each item of ``more`` not in it already and not left out for this
    runner (:func:`blocked`)."""
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


def _safety_screen(knowledge: Knowledge, present: frozenset[str], answered: set[str]) -> str | None:
    """The first danger sign's screening question that what was heard calls for, unasked."""
    for sign in knowledge.danger_signs:
        if (
            sign.screen_question
            and sign.screen_question not in answered
            and any(present.issuperset(group) for group in sign.screen_when)
        ):
            return sign.screen_question
    return None


def rank_causes(
    knowledge: Knowledge, present: frozenset[str], absent: frozenset[str]
) -> list[RankedCause]:
    """Every cause scored on the evidence, best first (the knowledge's order breaks ties)."""
    return sorted(
        (_score(c, present, absent, knowledge.weights[c.id]) for c in knowledge.causes),
        key=lambda rc: -rc.score,  # stable: knowledge order breaks ties
    )


class Naming(NamedTuple):
    """Step 3's verdict: the causes that may be named, and the level and advice they give."""

    eligible: list[RankedCause]
    """The causes with one of their core symptoms heard, best first."""
    lead: RankedCause | None
    """The best of them, if any."""
    supported: bool
    """The leader has support enough to be named."""
    contenders: list[str]
    """The causes to name, the leader first (used only when ``supported``)."""
    level: str
    advice: list[str]


class Raised(NamedTuple):
    """Step 4's verdict: the level and advice after the red flags and the history."""

    level: str
    rules: list[str]
    """Ids of the escalation and history rules that raised the level."""
    advice: list[str]
    """The advice, a raising rule's first."""


class NextQuestion(NamedTuple):
    """Step 5's verdict: what to ask next, if anything."""

    feature: str | None
    needs_description: bool
    guided: bool


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

    The steps, in order: danger signs win over everything else
    (:func:`danger_verdict`); a common complaint outside the article gets its own
    answer (:func:`complaint_verdict`); otherwise the causes are named on their own
    evidence (:func:`name_causes`), the red flags and the runner's history raise the
    level (:func:`raise_level`), and the next question is chosen
    (:func:`choose_next_question`).
    """
    knowledge = knowledge or load_knowledge()
    present = present_features(knowledge, answers)
    absent = (
        frozenset(f for f, v in answers.items() if v is False and f in knowledge.features) - present
    )
    budget = (
        knowledge.policy.max_questions - len(asked) if questions_left is None else questions_left
    )
    ranked = rank_causes(knowledge, present, absent)
    answered = answered_features(knowledge, answers, asked, present)

    danger = danger_verdict(knowledge, ranked, present)
    if danger is not None:
        return danger
    complaint = complaint_verdict(knowledge, ranked, present, answered)
    if complaint is not None:
        return complaint
    naming = name_causes(knowledge, ranked, present)
    raised = raise_level(knowledge, naming, present, history)
    question = choose_next_question(
        knowledge, naming, raised.level, ranked, present, answered, budget, guided
    )
    lead = naming.lead
    top_first = tuple(ranked) if lead is None else (lead, *[r for r in ranked if r is not lead])
    return TriageResult(
        top_first,
        tuple(naming.contenders) if naming.supported else (),
        raised.level,
        (),
        tuple(raised.rules),
        tuple(raised.advice),
        question.feature is None and not question.needs_description,
        question.feature,
        present,
        question.needs_description,
        question.guided,
    )


def danger_verdict(
    knowledge: Knowledge, ranked: Sequence[RankedCause], present: frozenset[str]
) -> TriageResult | None:
    """Step 1: the danger signs present win over everything else (the most urgent's
    advice first); None when there are none."""
    dangers = danger_signs_of(knowledge, present)
    if not dangers:
        return None
    severity = knowledge.levels
    level = max((d.level for d in dangers), key=lambda lv: severity[lv])
    advice: list[str] = []
    for d in sorted(dangers, key=lambda d: -severity[d.level]):
        _add_advice(advice, d.advice, present, knowledge)
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


def complaint_verdict(
    knowledge: Knowledge,
    ranked: Sequence[RankedCause],
    present: frozenset[str],
    answered: set[str],
) -> TriageResult | None:
    """Step 2: a common complaint outside the article (a blister, a stitch) gets its own
    answer, never an article cause and never the questionnaire; a safety screen still
    comes first. None when there is none."""
    complaints = complaints_of(knowledge, present)
    if not complaints:
        return None
    severity = knowledge.levels
    by_id = {c.id: c for c in knowledge.complaints}
    advice: list[str] = []
    for cid in complaints:
        _add_advice(advice, by_id[cid].advice, present, knowledge)
    level = max((by_id[c].level for c in complaints), key=lambda lv: severity[lv])
    screen = _safety_screen(knowledge, present, answered)
    return TriageResult(
        tuple(ranked),
        (),
        level,
        (),
        (),
        tuple(advice),
        screen is None,
        screen,
        present,
        complaints=tuple(complaints),
    )


def name_causes(
    knowledge: Knowledge, ranked: Sequence[RankedCause], present: frozenset[str]
) -> Naming:
    """Step 3: a cause is named only on its own evidence, one of its core symptoms heard;
    the leader with those close behind it, their level and their advice (or the lowest
    level and the general advice, when no cause has support enough)."""
    eligible = [rc for rc in ranked if not present.isdisjoint(knowledge.cause(rc.id).core)]
    lead = eligible[0] if eligible else None
    supported = lead is not None and lead.score >= knowledge.policy.min_top_score
    contenders = [
        rc.id
        for rc in eligible
        if rc.score > 0 and lead is not None and lead.score - rc.score < knowledge.policy.min_margin
    ][:3]
    if supported and lead is not None and len(contenders) < 3:
        other = _cause_for_the_rest(knowledge, eligible, contenders, present)
        if other is not None:
            contenders.append(other)
    severity = knowledge.levels
    advice: list[str] = []
    if supported:
        level = max((knowledge.cause(cid).level for cid in contenders), key=lambda lv: severity[lv])
        for cid in contenders:
            _add_advice(advice, knowledge.cause(cid).advice, present, knowledge)
    else:
        level = min(severity, key=lambda lv: severity[lv])
        _add_advice(advice, knowledge.policy.general_advice, present, knowledge)
    return Naming(eligible, lead, supported, contenders, level, advice)


def _cause_for_the_rest(
    knowledge: Knowledge,
    eligible: Sequence[RankedCause],
    contenders: Sequence[str],
    present: frozenset[str],
) -> str | None:
    """Two complaints in one breath ("twitching calves and burning feet"): the cause, not
    yet a contender, that best covers the sensations the contenders do not explain, when
    its own evidence would have it named too."""
    unexplained = present.intersection(knowledge.features_in("sensation")).difference(
        *(knowledge.speaks_for[c] for c in contenders)
    )
    second: tuple[float, str] | None = None
    for rc in eligible if unexplained else ():
        if rc.id in contenders:
            continue
        weights = knowledge.weights[rc.id]
        speaks_for = knowledge.speaks_for[rc.id]
        # summed in the evidence's order, so the total never depends on a set's order
        covers = sum(w[1] for w in sorted(weights[f] for f in unexplained.intersection(speaks_for)))
        if covers <= 0 or (second is not None and covers <= second[0]):
            continue
        own = knowledge.cause(rc.id).prior + sum(
            w[1] for w in sorted(weights[f] for f in present.intersection(speaks_for))
        )
        if own >= knowledge.policy.min_top_score:  # (every eligible cause has a core symptom)
            second = (covers, rc.id)
    return second[1] if second is not None else None


def raise_level(
    knowledge: Knowledge,
    naming: Naming,
    present: frozenset[str],
    history: Sequence[PriorCheckIn],
) -> Raised:
    """Step 4: the article's red flags and the runner's history raise the level; the
    advice of the rules that raised it ("see a doctor") is said plainly and first."""
    severity = knowledge.levels
    level = naming.level
    raised: list[str] = []
    for escalation in knowledge.escalations:
        if not present.intersection(escalation.any_features):
            continue
        if escalation.raise_from is not None and naming.level not in escalation.raise_from:
            continue
        raised.append(escalation.id)
        if severity[escalation.raise_to] > severity[level]:
            level = escalation.raise_to
    sensations = {
        f
        for f in present
        if f in knowledge.features and knowledge.features[f].category == "sensation"
    }
    for rule in knowledge.history_rules:
        matches = sum(
            1
            for prior in history
            if rule.min_days_ago <= prior.days_ago <= rule.window_days
            and sensations.intersection(prior.features)
        )
        if matches >= rule.min_matches:
            raised.append(rule.id)
            if severity[rule.raise_to] > severity[level]:
                level = rule.raise_to
    advice = naming.advice
    if raised:
        # see a doctor, said plainly and first
        first: list[str] = []
        for rule_id in raised:
            rule_advice = next(
                (e.advice for e in knowledge.escalations if e.id == rule_id),
                next((h.advice for h in knowledge.history_rules if h.id == rule_id), ()),
            )
            _add_advice(first, rule_advice, present, knowledge)
        advice = first + [a for a in advice if a not in first]
    return Raised(level, raised, advice)


def choose_next_question(
    knowledge: Knowledge,
    naming: Naming,
    level: str,
    ranked: Sequence[RankedCause],
    present: frozenset[str],
    answered: set[str],
    budget: int,
    guided: bool,
) -> NextQuestion:
    """Step 5: the next question: a safety screen first (asked even with no ``budget``
    left), then the red flags that would raise ``level``, then what tells the causes
    apart, then the leading cause's hallmark; with nothing heard, the open question
    again (``needs_description``) or, once ``guided``, the guided path's next question."""
    severity = knowledge.levels
    policy = knowledge.policy
    lead, eligible, supported = naming.lead, naming.eligible, naming.supported
    next_question = _safety_screen(knowledge, present, answered)
    needs_description = False
    is_guided = False
    if next_question is None and budget > 0:
        if not present:
            if guided:
                next_question = next(
                    (f for f in policy.guided_questions if f not in answered), None
                )
                is_guided = next_question is not None
            else:
                needs_description = True
        if next_question is None and present and guided and not supported:
            # still on the guided path: the likeliest cause's hallmark, else the next
            # broad question, until some cause has support
            key = knowledge.cause(lead.id).key_question if lead is not None else None
            if key is not None and key not in answered:
                next_question = key
            else:
                next_question = next(
                    (f for f in policy.guided_questions if f not in answered), None
                )
                is_guided = next_question is not None
        if next_question is None and present and not needs_description:
            # the red flags before the causes; but the leader's hallmark first when a
            # yes to it would rule the red flag out (eased after cooling down: not days)
            hallmark = knowledge.cause(lead.id).key_question if lead is not None else None
            rules_out = (
                set(knowledge.features[hallmark].excludes)
                if hallmark is not None and hallmark not in answered
                else set()
            )
            for fid in policy.confirm_before_advice:
                if fid in answered or fid in rules_out:
                    continue
                if any(
                    fid in escalation.any_features
                    and severity[escalation.raise_to] > severity[level]
                    for escalation in knowledge.escalations
                ):
                    next_question = fid
                    break
        confident = (
            supported
            and lead is not None
            and (len(eligible) < 2 or lead.score - eligible[1].score >= policy.min_margin)
        )
        if next_question is None and present and not confident:
            pool = (
                [rc.id for rc in eligible[:3]]
                if len(eligible) >= 2
                else [rc.id for rc in ranked[:3]]
            )
            best = 0.0
            for feat in knowledge.questions:
                if feat.id in answered:
                    continue
                sep = _separation(knowledge, feat.id, pool)
                if sep > best:
                    best, next_question = sep, feat.id
        if next_question is None and lead is not None:
            key = knowledge.cause(lead.id).key_question
            if key is not None and key not in answered:
                # Before advising, confirm the leading cause by its hallmark.
                next_question = key
    return NextQuestion(next_question, needs_description, is_guided)
