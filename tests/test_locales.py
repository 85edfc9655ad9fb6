"""Every English market hears its own emergency number, its own words for the doctor
and urgent care, and never another market's number: in speech, card and screen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from skill.app import build_skill
from skill.envelopes import Session, SlotValue
from skill.strings import strings_for
from tests.test_handlers import invoke

NUMBERS = {"en-US": {"911"}, "en-CA": {"911"}, "en-GB": {"999", "112"}, "en-AU": {"000"},
           "en-IN": {"112"}}
SAID = {"911": "nine one one", "999": "nine nine nine", "112": "one one two",
        "000": "triple zero"}
DANGER = {"anaphylaxis": "throat_tight", "chest_or_breathing": "chest_pain",
          "stroke": "one_side_weakness", "cauda_equina": "bladder_bowel",
          "possible_clot": "calf_hot_swollen"}


def everything_shown(response: dict[str, Any]) -> str:
    """Speech (with the SSML aliases), reprompt, card and screen data, as one text."""
    body = response["response"]
    parts = [body.get("outputSpeech", {}).get("ssml", ""),
             ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""),
             str(body.get("card") or ""),
             str([d.get("datasources") for d in body.get("directives", [])])]
    return " ".join(parts)


def replies(locale: str) -> list[dict[str, Any]]:
    skill = build_skill(None)
    out = []
    for feature in DANGER.values():
        session = Session(locale=locale, screen=True)
        out.append(invoke(skill, session.intent("ReportSymptomsIntent", [
            SlotValue("DangerSign", feature, feature, slot_type="DANGER_SIGN")])))
    out.append(invoke(skill, Session(locale=locale).intent("AMAZON.HelpIntent")))
    return out


@pytest.mark.parametrize("locale", sorted(NUMBERS))
def test_each_market_hears_its_own_number_and_no_other(locale: str) -> None:
    own = NUMBERS[locale]
    others = {n for ns in NUMBERS.values() for n in ns} - own
    strings = strings_for(locale)
    for response in replies(locale):
        text = everything_shown(response)
        assert any(n in text for n in own), text[:300]
        for number in others:
            assert not re.search(rf"(?<!\d){number}(?!\d)", text), (locale, number, text)
            assert SAID[number] not in text, (locale, number)
    danger = everything_shown(replies(locale)[0])
    assert f'alias="{SAID[strings.emergency_number]}"' in danger


@pytest.mark.parametrize(("locale", "words"), [
    ("en-GB", ["NHS 111", "GP", "A&amp;E"]), ("en-AU", ["healthdirect", "GP"]),
    ("en-CA", ["walk-in clinic"]), ("en-US", ["urgent care"]), ("en-IN", ["hospital"]),
])
def test_urgent_care_is_said_in_the_markets_words(locale: str, words: list[str]) -> None:
    skill = build_skill(None)
    session = Session(locale=locale)
    response = invoke(skill, session.intent("ReportSymptomsIntent", [
        SlotValue("DangerSign", "hot swollen calf", "calf_hot_swollen",
                  slot_type="DANGER_SIGN")]))
    ssml = response["response"]["outputSpeech"]["ssml"]
    for word in words:
        assert word in ssml, (locale, word, ssml)


def test_an_english_market_without_its_own_strings_hears_no_market_number() -> None:
    skill = build_skill(None)
    response = invoke(skill, Session(locale="en-NZ").intent("ReportSymptomsIntent", [
        SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")]))
    text = everything_shown(response)
    assert "your local emergency number" in text
    assert not re.search(r"(?<!\d)(911|999|112|000)(?!\d)", text)
