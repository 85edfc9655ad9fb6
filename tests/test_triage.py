"""The pure triage engine, parametrized over the knowledge base itself.

A new cause, danger sign or escalation rule in skill/data/knowledge.json is
checked here without writing a new test.
"""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.interpret import answered_yes
from skill.knowledge import Cause, DangerSign, load_knowledge
from skill.triage import PriorCheckIn, TriageResult, assess, present_features

KB = load_knowledge()
RANK = KB.levels


def typical(cause: Cause, n: int = 3) -> dict[str, bool]:
    """The cause's strongest positive evidence: its typical presentation."""
    strongest = sorted((e for e in cause.evidence if e.present > 0), key=lambda e: -e.present)
    return {e.feature: True for e in strongest[:n]}


def run_checkin(
    answers: dict[str, bool], reply: bool | None = False, history: tuple[PriorCheckIn, ...] = ()
) -> tuple[list[str], TriageResult]:
    """Answer the engine's questions until it has enough; return the questions and result."""
    answers = dict(answers)
    asked: list[str] = []
    for _ in range(20):
        result = assess(answers, asked, history)
        if result.next_question is None:
            return asked, result
        asked.append(result.next_question)
        if reply is not None:
            answers[result.next_question] = reply
    raise AssertionError(f"the engine kept asking: {asked}")


@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_typical_presentation_ranks_its_cause_first(cause: Cause) -> None:
    result = assess(typical(cause))
    assert result.top.id == cause.id, [(c.id, c.score) for c in result.causes]
    assert not result.is_danger


@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_cause_still_first_after_the_follow_up_questions(cause: Cause) -> None:
    asked, result = run_checkin(typical(cause), reply=False)
    assert len(asked) <= KB.policy.max_questions
    assert result.top.id == cause.id
    assert result.enough_known
    assert RANK[result.level] >= RANK[cause.level]
    assert set(cause.advice) <= set(result.advice)


@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_reasons_are_the_runners_own_symptoms(cause: Cause) -> None:
    answers = typical(cause)
    result = assess(answers)
    assert set(result.top.reasons_for) & set(answers)
    assert set(result.top.reasons_for) <= result.present


DANGER_CASES = [(sign, feature) for sign in KB.danger_signs for feature in sign.any_features]


@pytest.mark.parametrize("sign,feature", DANGER_CASES, ids=[f"{s.id}-{f}" for s, f in DANGER_CASES])
def test_danger_sign_wins_and_ends_the_questions(sign: DangerSign, feature: str) -> None:
    result = assess({feature: True})
    assert sign.id in result.danger_signs
    assert result.level == sign.level
    assert result.next_question is None and result.enough_known
    assert set(sign.advice) <= set(result.advice)


@pytest.mark.parametrize("sign", KB.danger_signs, ids=lambda s: s.id)
@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_danger_sign_mid_dialog_beats_every_cause(sign: DangerSign, cause: Cause) -> None:
    answers = {**typical(cause), "lasts_days": False, sign.any_features[0]: True}
    result = assess(answers, asked=["lasts_days"])
    assert result.level == sign.level
    assert result.next_question is None


def test_emergency_outranks_urgent_care_when_both_present() -> None:
    result = assess({"calf_hot_swollen": True, "breathing_trouble": True})
    assert result.level == "emergency"
    assert result.advice[0] == "call_emergency"


@pytest.mark.parametrize(
    "sign", [s for s in KB.danger_signs if s.screen_question], ids=lambda s: s.id
)
def test_screen_question_comes_before_any_other(sign: DangerSign) -> None:
    screens = {s.screen_question for s in KB.danger_signs if s.screen_question}
    for trigger in sign.screen_when:
        asked, _ = run_checkin({f: True for f in trigger})
        assert sign.screen_question in asked, trigger
        before = asked[: asked.index(sign.screen_question)]
        assert set(before) <= screens, (trigger, asked)


@pytest.mark.parametrize(
    "sign", [s for s in KB.danger_signs if s.screen_question], ids=lambda s: s.id
)
def test_yes_to_a_screen_question_is_the_danger_sign(sign: DangerSign) -> None:
    answers = {f: True for f in sign.screen_when[0]}
    result = assess({**answers, str(sign.screen_question): True})
    assert sign.id in result.danger_signs
    assert result.level == sign.level


def test_nothing_heard_asks_for_a_description_first() -> None:
    result = assess({})
    assert result.needs_description and result.next_question is None
    assert not result.enough_known


def test_nothing_heard_after_the_open_question_starts_the_guided_path() -> None:
    result = assess({}, guided=True)
    assert result.guided
    assert result.next_question == KB.policy.guided_questions[0]
    assert not result.enough_known


@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_the_guided_path_reaches_every_cause(cause: Cause) -> None:
    """A runner whose words were not understood, answering the guided questions truthfully."""
    truth = present_features(KB, typical(cause, 4))
    answers: dict[str, bool] = {}
    asked: list[str] = []
    since = 0  # questions asked since the first yes
    for _ in range(20):
        described = any(answers.values())
        left = KB.policy.max_questions - since if described else len(KB.policy.guided_questions)
        result = assess(answers, asked, guided=True, questions_left=left)
        if result.next_question is None:
            break
        asked.append(result.next_question)
        since += described
        answers[result.next_question] = answered_yes(result.next_question, truth, KB)
    assert cause.id in result.contenders, (asked, answers)


def test_the_guided_path_reaches_every_danger_screen() -> None:
    screens = {s.screen_question for s in KB.danger_signs if s.screen_question}
    reached: set[str] = set()
    for start in KB.policy.guided_questions:
        answers = {q: False for q in KB.policy.guided_questions}
        answers[start] = True
        reached.add(start)
        reached.update(run_checkin(answers, reply=False)[0])
    assert screens <= reached


def test_everything_denied_on_the_guided_path_ends_with_general_advice() -> None:
    answers = {f: False for f in KB.features}
    result = assess(answers, guided=True)
    assert result.enough_known and not result.is_danger and not result.contenders
    assert set(KB.policy.general_advice) <= set(result.advice)


def test_a_cause_is_never_named_without_its_core_symptom() -> None:
    # "yes, it eased after cooling down" alone must not name the ordinary itch
    result = assess({"fades_after_cooldown": True, "lower_legs": False})
    assert "post_run_itch" not in result.contenders
    result = assess({"worse_as_run_goes_on": True, "feet": True})
    assert "compartment_syndrome" not in result.contenders


@pytest.mark.parametrize("flag", ["lasts_days", "cant_walk", "pain"])
def test_a_red_flag_puts_see_a_doctor_first(flag: str) -> None:
    result = assess({"numbness": True, "legs": True, flag: True})
    assert RANK[result.level] >= RANK["doctor"]
    assert result.advice[0] == "see_doctor"


@pytest.mark.parametrize(
    "answers",
    [
        {"twitching": True, "lower_legs": True, "keeps_coming_back": True},
        {"itching": True, "legs": True, "keeps_coming_back": True, "fades_after_cooldown": True},
        {"between_toes": True, "burning": True, "keeps_coming_back": True},
    ],
)
def test_a_single_again_with_no_history_does_not_send_to_a_doctor(answers: dict[str, bool]) -> None:
    """The article's rule is about symptoms that persist or linger; the post-run itch and a
    neuroma come and go by nature. Said once, with nothing stored, recurrence alone keeps the
    cause's own level (see the hazard log, HAZ-FALSE-ALARM-RECURRENCE)."""
    result = assess(answers)
    assert RANK[result.level] < RANK["doctor"], result
    assert "see_doctor" not in result.advice


def test_recurrence_with_pain_or_stored_check_ins_still_sends_to_a_doctor() -> None:
    with_pain = assess({"twitching": True, "keeps_coming_back": True, "pain": True})
    assert with_pain.level == "doctor" and with_pain.advice[0] == "see_doctor"
    history = [PriorCheckIn(3.0, ("twitching",)), PriorCheckIn(10.0, ("twitching",))]
    stored = assess({"twitching": True, "lower_legs": True, "keeps_coming_back": True}, (), history)
    assert stored.level == "doctor" and "keeps_coming_back" in stored.raised_by


def test_a_limping_runner_is_never_told_to_keep_moving() -> None:
    for answers in (
        {"numbness": True, "cant_walk": True},
        {"itching": True, "cant_walk": True, "fades_after_cooldown": True},
    ):
        result = assess(answers)
        assert "cool_down" not in result.advice, answers


def test_no_questions_left_means_advice() -> None:
    result = assess({"tingling": True, "lower_legs": True}, questions_left=0)
    assert result.next_question is None and result.enough_known


def test_a_safety_screen_is_asked_even_with_no_questions_left() -> None:
    result = assess({"itching": True}, questions_left=0)
    assert result.next_question == "face_throat_breathing"


def test_what_was_said_is_never_asked() -> None:
    # a spasm answers "twitching or going into spasm?"; burning feet answer "burning foot?"
    for answers, never in (
        ({"spasm": True, "lower_legs": True}, "twitching"),
        ({"burning": True, "feet": True}, "foot_burning"),
        ({"cramp": True, "legs": True}, "ache"),
        ({"swelling": True, "lower_legs": True, "calf_hot_swollen": False}, "tightness"),
    ):
        asked, _ = run_checkin(answers)
        assert never not in asked, (answers, asked)


def test_contradictory_answers_still_end_with_a_level() -> None:
    answers = {
        "fades_after_cooldown": True,
        "lasts_days": True,
        "itching": True,
        "twitching": True,
        "between_toes": True,
        "lower_legs": True,
    }
    asked, result = run_checkin(answers)
    assert result.level in RANK
    assert len(asked) <= KB.policy.max_questions


def test_random_answer_sets_never_break_the_engine() -> None:
    rng = random.Random(20261124)
    ids = [f for f in KB.features if KB.features[f].category != "danger"]
    for _ in range(300):
        answers = {f: rng.random() < 0.5 for f in rng.sample(ids, rng.randint(0, 8))}
        asked, result = run_checkin(answers, reply=rng.choice([True, False, None]))
        assert len(asked) <= KB.policy.max_questions
        assert result.level in RANK
        assert [c.id for c in result.causes][0] == result.top.id


@pytest.mark.parametrize("reply", [True, False])
def test_never_more_than_the_question_limit(reply: bool) -> None:
    asked, _ = run_checkin({"tingling": True}, reply=reply)
    assert 0 < len(asked) <= KB.policy.max_questions


def test_question_separates_close_causes() -> None:
    # tingling shins: compartment syndrome or the ordinary tingle; the engine asks
    # about what tells them apart
    result = assess({"tingling": True, "lower_legs": True})
    assert set(result.contenders) >= {"compartment_syndrome", "post_run_itch"}
    assert result.next_question in {
        "worse_as_run_goes_on",
        "fades_after_cooldown",
        "soon_after_start",
        "tightness",
        "itching",
    }


@pytest.mark.parametrize("esc", KB.escalations, ids=lambda e: e.id)
def test_escalation_rules_raise_the_level(esc) -> None:  # type: ignore[no-untyped-def]
    base = typical(KB.cause("post_run_itch"))
    before = assess(base)
    assert before.level == "self_care"
    after = assess({**base, esc.any_features[0]: True})
    assert RANK[after.level] >= RANK[esc.raise_to]
    assert esc.id in after.raised_by


def test_pain_does_not_override_a_podiatrist_referral() -> None:
    result = assess({"burning": True, "between_toes": True, "pain": True})
    assert result.top.id == "neuroma"
    assert result.level == "podiatrist"


@pytest.mark.parametrize("rule", KB.history_rules, ids=lambda r: r.id)
def test_history_rules_escalate_a_returning_symptom(rule) -> None:  # type: ignore[no-untyped-def]
    answers = {"itching": True, "legs": True, "face_throat_breathing": False, "lasts_days": False}
    assert assess(answers).level == "self_care"
    days = max(rule.min_days_ago, 0.5) + 0.5
    history = tuple(
        PriorCheckIn(days + i * 0.1, ("itching", "legs")) for i in range(rule.min_matches)
    )
    result = assess(answers, history=history)
    assert rule.id in result.raised_by
    assert RANK[result.level] >= RANK[rule.raise_to]


def test_history_of_other_symptoms_or_long_ago_does_not_escalate() -> None:
    answers = {"itching": True, "face_throat_breathing": False, "lasts_days": False}
    unrelated = (
        PriorCheckIn(3, ("twitching",)),
        PriorCheckIn(4, ("burning",)),
        PriorCheckIn(5, ("cramp",)),
    )
    old = (PriorCheckIn(60, ("itching",)), PriorCheckIn(90, ("itching",)))
    for history in (unrelated, old):
        result = assess(answers, history=history)
        assert result.level == "self_care", history
        assert result.raised_by == ()


def test_engine_does_not_import_the_sdk() -> None:
    code = (
        "import sys, skill.triage; "
        "bad = [m for m in sys.modules if m.startswith(('ask_sdk', 'flask'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("cause", [c for c in KB.causes if c.key_question], ids=lambda c: c.id)
def test_the_leading_cause_is_confirmed_by_its_hallmark_before_advice(cause: Cause) -> None:
    key = str(cause.key_question)
    answering = {f for group in KB.features[key].answered_by for f in group}
    answers = {f: True for f in typical(cause, 4) if f != key and f not in answering}
    asked: list[str] = []
    while (result := assess(answers, asked)).next_question is not None:
        asked.append(result.next_question)
        answers[result.next_question] = result.next_question == cause.key_question
    assert cause.key_question in asked
    assert result.top.id == cause.id


def test_weak_evidence_names_no_cause_and_gives_the_general_advice() -> None:
    asked, result = run_checkin({"tightness": True, "lower_legs": True}, reply=False)
    assert asked[0] == "worse_as_run_goes_on"
    assert result.contenders == ()
    assert result.level == "self_care"
    assert list(result.advice) == list(KB.policy.general_advice)


def test_weak_evidence_that_hurts_still_goes_to_a_doctor() -> None:
    _, result = run_checkin({"tightness": True, "pain": True}, reply=False)
    assert result.contenders == ()
    assert result.level == "doctor"
    assert "article_pain" in result.raised_by


@pytest.mark.parametrize(
    "feature", [f for f in KB.features.values() if f.excludes], ids=lambda f: f.id
)
def test_a_feature_that_rules_another_out_stops_that_question(feature) -> None:  # type: ignore[no-untyped-def]
    asked, _ = run_checkin({"itching": True, "tingling": True, feature.id: True})
    assert not set(asked) & set(feature.excludes)


COMPLAINT_FEATURES = sorted({f for c in KB.complaints for f in c.any_features})
ARTICLE_SYMPTOMS = {f for c in KB.complaints for f in c.unless_features}


@pytest.mark.slow
@given(
    st.sampled_from(COMPLAINT_FEATURES),
    st.sets(
        st.sampled_from(
            sorted(
                f
                for f in KB.features
                if f not in ARTICLE_SYMPTOMS and KB.features[f].category != "danger"
            )
        ),
        max_size=5,
    ),
)
@settings(max_examples=300, deadline=None)
def test_an_adjacent_complaint_never_gets_an_article_cause(complaint: str, more: set[str]) -> None:
    """A blister, a stitch, next-day soreness: with no article symptom and no danger sign,
    its own answer, never one of the article's causes, and no questionnaire (a safety
    screen at most)."""
    result = assess({complaint: True, **{f: True for f in more}})
    if result.is_danger:
        return  # (a combination of the words made a danger sign: that wins, as it must)
    owned = [
        c.id
        for c in KB.complaints
        if set(c.any_features) & result.present and not set(c.unless_features) & result.present
    ]
    if not owned:
        return
    assert result.complaints and result.contenders == ()
    screens = {d.screen_question for d in KB.danger_signs if d.screen_question}
    assert result.next_question is None or result.next_question in screens


@pytest.mark.parametrize("complaint", KB.complaints, ids=lambda c: c.id)
def test_an_article_symptom_sends_the_complaint_through_the_check_in(complaint: Any) -> None:
    """With tingling too ("a blister and my toes tingle"), the article's check-in goes on,
    so a complaint never hides an article cause."""
    result = assess({complaint.any_features[0]: True, "tingling": True})
    assert not result.complaints
