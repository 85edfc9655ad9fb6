"""The dialog state's memory question: carried across turns, and repaired when forged."""

from __future__ import annotations

from typing import Any

import pytest

from skill.knowledge import load_knowledge
from skill.state import DialogState, Outcome

KB = load_knowledge()


def test_the_check_in_waiting_for_consent_is_carried_to_the_next_turn() -> None:
    state = DialogState(
        consent=Outcome(("lower_legs", "twitching"), "low_electrolytes", "self_care")
    )
    attrs = state.to_attributes()
    assert attrs["consent"] == {
        "features": ["lower_legs", "twitching"],
        "cause": "low_electrolytes",
        "level": "self_care",
    }
    assert DialogState.read(attrs, KB).consent == state.consent
    assert "consent" not in DialogState().to_attributes()
    for cause, level in (("unclear", "self_care"), ("chest_or_breathing", "emergency")):
        kept = {"features": [], "cause": cause, "level": level}
        assert DialogState.read({"consent": kept}, KB).consent == Outcome((), cause, level)


@pytest.mark.parametrize(
    "forged",
    [
        "yes",
        ["x"],
        {"features": "twitching", "cause": "low_electrolytes", "level": "self_care"},
        {"features": [], "cause": "a made-up cause", "level": "self_care"},
        {"features": [], "cause": "low_electrolytes", "level": "whenever"},
        {"features": [], "cause": "low_electrolytes"},
    ],
)
def test_a_forged_consent_attribute_is_dropped(forged: Any) -> None:
    assert DialogState.read({"consent": forged}, KB).consent is None


def test_unknown_features_are_not_kept() -> None:
    attrs = {
        "consent": {
            "features": ["twitching", "my bank pin", 7],
            "cause": "unclear",
            "level": "self_care",
        }
    }
    consent = DialogState.read(attrs, KB).consent
    assert consent is not None and consent.features == ("twitching",)


def test_starting_over_drops_the_question() -> None:
    state = DialogState(consent=Outcome((), "unclear", "self_care"))
    state.start_over()
    assert state.consent is None


@pytest.mark.parametrize(
    "field,value",
    [("cause", []), ("cause", {}), ("level", []), ("level", {"x": 1}), ("features", None)],
)
def test_an_unhashable_consent_field_is_dropped_too(field: str, value: Any) -> None:
    kept: dict[str, Any] = {"features": [], "cause": "unclear", "level": "self_care"}
    kept[field] = value
    assert DialogState.read({"consent": kept}, KB).consent is None


# ------------------------------------------------------------------ the follow-up

from skill.state import FollowUp  # noqa: E402

ASKED = FollowUp(Outcome(("lower_legs", "tingling"), "unclear", "self_care"), 1)


def test_the_follow_up_question_and_a_continued_check_in_are_carried() -> None:
    state = DialogState(follow_up=ASKED, continued=True)
    attrs = state.to_attributes()
    assert attrs["follow_up"] == {
        "features": ["lower_legs", "tingling"],
        "cause": "unclear",
        "level": "self_care",
        "days": 1,
    }
    assert attrs["continued"] is True
    again = DialogState.read(attrs, KB)
    assert again.follow_up == ASKED and again.continued
    plain = DialogState().to_attributes()
    assert "follow_up" not in plain and "continued" not in plain


@pytest.mark.parametrize(
    "forged",
    [
        "yes",
        {"features": ["tingling"], "cause": "a made-up cause", "level": "self_care", "days": 1},
        {"features": ["tingling"], "cause": "unclear", "level": "resolved", "days": 1},
        {"features": "tingling", "cause": "unclear", "level": "self_care", "days": 1},
    ],
)
def test_a_forged_follow_up_is_dropped(forged: Any) -> None:
    assert DialogState.read({"follow_up": forged}, KB).follow_up is None


@pytest.mark.parametrize("days,read", [(-4, 0), (2, 2), (99, 3), ("1", 0), (True, 0), (1.5, 0)])
def test_a_follow_up_age_out_of_range_is_bounded_or_taken_as_the_same_day(
    days: Any, read: int
) -> None:
    attrs = {"follow_up": {**ASKED.to_attributes(), "days": days}}
    follow_up = DialogState.read(attrs, KB).follow_up
    assert follow_up is not None and follow_up.days_ago == read


def test_starting_over_drops_the_follow_up() -> None:
    state = DialogState(follow_up=ASKED, continued=True)
    state.start_over()
    assert state.follow_up is None and not state.continued
