"""Earlier check-ins as the engine sees them."""

from __future__ import annotations

from datetime import timedelta

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
