"""Earlier check-ins as the engine sees them."""

from __future__ import annotations

from datetime import date, timedelta

from skill.history import prior_checkins
from skill.store import CheckIn

TODAY = date(2026, 11, 24)


def test_prior_check_ins_say_how_many_days_ago_and_what() -> None:
    checkins = [CheckIn.of(TODAY - timedelta(days=3), ["twitching", "lower_legs"], "c", "l"),
                CheckIn.of(TODAY, ["itching"], "c", "l")]
    priors = prior_checkins(checkins, TODAY)
    assert [(p.days_ago, p.features) for p in priors] == [
        (3.0, ("lower_legs", "twitching")), (0.0, ("itching",))]


def test_a_check_in_dated_after_today_counts_as_today() -> None:
    [prior] = prior_checkins([CheckIn.of(TODAY + timedelta(days=1), ["cramp"], "c", "l")], TODAY)
    assert prior.days_ago == 0.0
