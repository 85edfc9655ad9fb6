"""Earlier check-ins as the engine sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from skill.history import prior_checkins
from skill.store import CheckIn
from tests.support.fixtures import TODAY


def test_prior_check_ins_say_how_many_days_ago_and_what() -> None:
    checkins = [
        CheckIn.of(TODAY - timedelta(days=3), ["twitching", "lower_legs"], "c", "l"),
        CheckIn.of(TODAY, ["itching"], "c", "l"),
    ]
    priors = prior_checkins(checkins, TODAY)
    assert [(p.days_ago, p.features) for p in priors] == [
        (3.0, ("lower_legs", "twitching")),
        (0.0, ("itching",)),
    ]


def test_a_check_in_dated_after_today_counts_as_today() -> None:
    [prior] = prior_checkins([CheckIn.of(TODAY + timedelta(days=1), ["cramp"], "c", "l")], TODAY)
    assert prior.days_ago == 0.0


# ------------------------------------------------------------------ recurrence and summary

from skill.history import cause_to_keep, recurrence, summarize  # noqa: E402
from skill.knowledge import NO_CAUSE, load_knowledge  # noqa: E402

KB = load_knowledge()


def test_a_sensation_mentioned_before_comes_back_with_where_it_is_now() -> None:
    earlier = [
        CheckIn.of(TODAY - timedelta(days=d), ["tingling", "feet"], "c", "l") for d in (20, 9)
    ]
    came_back = recurrence(earlier, ["tingling", "lower_legs", "legs", "during_run"], KB, TODAY, 30)
    assert came_back is not None
    assert came_back.features == ("tingling", "lower_legs") and came_back.times == 3


def test_no_recurrence_for_other_symptoms_old_ones_or_no_sensation() -> None:
    old = [CheckIn.of(TODAY - timedelta(days=31), ["tingling"], "c", "l")]
    other = [CheckIn.of(TODAY - timedelta(days=3), ["itching"], "c", "l")]
    assert recurrence(old, ["tingling"], KB, TODAY, 30) is None
    assert recurrence(other, ["tingling"], KB, TODAY, 30) is None
    assert recurrence(other, ["legs", "during_run"], KB, TODAY, 30) is None


def test_the_summary_counts_symptoms_most_often_first() -> None:
    checkins = [
        CheckIn.of(TODAY - timedelta(days=d), features, "c", "l")
        for d, features in (
            (40, ["cramp"]),
            (9, ["itching", "legs"]),
            (6, ["tingling", "feet", "toes"]),
            (2, ["tingling", "feet", "toes"]),
            (1, ["during_run"]),
        )
    ]
    summary = summarize(checkins, KB, TODAY, 30)
    assert summary.count == 4
    assert [(s.features, s.times) for s in summary.symptoms] == [
        (("tingling", "toes"), 2),
        (("itching", "legs"), 1),
    ]
    assert summary.last is not None and summary.last.day == TODAY - timedelta(days=1)
    assert summarize([], KB, TODAY, 30).last is None


def test_the_cause_kept_is_the_one_said() -> None:
    assert cause_to_keep(KB, ["neuroma", "low_electrolytes"], []) == "neuroma"
    assert cause_to_keep(KB, [], []) == NO_CAUSE
    assert cause_to_keep(KB, ["neuroma"], ["chest_or_breathing"]) == "chest_or_breathing"


# ------------------------------------------------------------------ a complaint found gone

from skill.history import (  # noqa: E402
    FOLLOW_UP_DAYS,
    RESOLVED,
    open_complaint,
    symptom_checkins,
)


def test_resolved_is_no_triage_level() -> None:
    assert RESOLVED not in KB.levels


def _days_ago(days: int, features: list[str], level: str = "self_care") -> CheckIn:
    return CheckIn.of(TODAY - timedelta(days=days), features, "post_run_itch", level)


def test_a_complaint_found_gone_is_no_symptom_for_the_engine_or_a_recurrence() -> None:
    told = _days_ago(2, ["tingling", "lower_legs"])
    gone = _days_ago(1, ["tingling", "lower_legs"], RESOLVED)
    assert symptom_checkins([told, gone]) == [told]
    assert [p.features for p in prior_checkins([told, gone], TODAY)] == [told.features]
    came_back = recurrence([told, gone], ["tingling", "lower_legs"], KB, TODAY, 30)
    assert came_back is not None and came_back.times == 2  # told once before, not twice


def test_the_summary_counts_the_complaint_once_and_says_when_it_had_gone() -> None:
    told = _days_ago(2, ["tingling", "lower_legs"])
    gone = _days_ago(0, ["tingling", "lower_legs"], RESOLVED)
    summary = summarize([told, gone], KB, TODAY, 30)
    assert summary.count == 1
    assert [(s.features, s.times) for s in summary.symptoms] == [(("tingling", "lower_legs"), 1)]
    assert summary.last == told and summary.gone == TODAY
    # a complaint told of after it had gone: nothing to say about gone
    again = _days_ago(0, ["itching", "legs"])
    later = summarize([told, gone, again], KB, TODAY, 30)
    assert later.count == 2 and later.last == again and later.gone is None
    # only an "it's gone" in the window: nothing to sum up
    assert summarize([gone], KB, TODAY, 30).last is None


@pytest.mark.parametrize("days", range(FOLLOW_UP_DAYS + 1))
def test_the_latest_complaint_is_open_from_today_to_three_days_on(days: int) -> None:
    latest = _days_ago(days, ["tingling", "lower_legs", "after_run"])
    found = open_complaint([_days_ago(9, ["cramp"]), latest], KB, TODAY)
    assert found is not None
    assert found.checkin == latest and found.days_ago == days
    assert found.symptom == ("tingling", "lower_legs")


def test_no_complaint_is_open_past_three_days_or_once_found_gone() -> None:
    told = _days_ago(1, ["tingling", "lower_legs"])
    assert open_complaint([_days_ago(FOLLOW_UP_DAYS + 1, ["tingling"])], KB, TODAY) is None
    assert open_complaint([told, _days_ago(0, list(told.features), RESOLVED)], KB, TODAY) is None
    assert open_complaint([], KB, TODAY) is None
    # only the latest check-in counts: an older open one is not asked about
    assert open_complaint([told, _days_ago(0, ["during_run"])], KB, TODAY) is None


def test_an_emergency_or_nothing_to_name_is_not_followed_up() -> None:
    emergency = CheckIn.of(
        TODAY, ["chest_pain", "pain", "chest"], "chest_or_breathing", "emergency"
    )
    assert open_complaint([emergency], KB, TODAY) is None
    assert open_complaint([_days_ago(1, ["during_run", "legs"])], KB, TODAY) is None
    assert (
        open_complaint([_days_ago(1, ["tingling"], "a level of another version")], KB, TODAY)
        is None
    )
    # a same-day referral is followed up: "still there" gets that advice again
    urgent = CheckIn.of(TODAY, ["swelling", "warmth", "lower_legs"], "possible_clot", "urgent_care")
    found = open_complaint([urgent], KB, TODAY)
    assert found is not None and found.days_ago == 0
