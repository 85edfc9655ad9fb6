"""Every English market hears its own emergency number, its own words for the doctor
and urgent care, and never another market's number: in speech, card and screen."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from skill.app import build_skill
from skill.strings import NUMBERS_PATH, read_numbers, strings_for
from skill.tools.envelopes import Session, SlotValue
from tests.support.runner import invoke

NUMBERS = {
    "en-US": {"911"},
    "en-CA": {"911"},
    "en-GB": {"999", "112"},
    "en-AU": {"000"},
    "en-IN": {"112"},
}
SAID = {"911": "nine one one", "999": "nine nine nine", "112": "one one two", "000": "triple zero"}
DANGER = {
    "anaphylaxis": "throat_tight",
    "chest_or_breathing": "chest_pain",
    "stroke": "one_side_weakness",
    "cauda_equina": "bladder_bowel",
    "possible_clot": "calf_hot_swollen",
}


def everything_shown(response: dict[str, Any]) -> str:
    """Speech (with the SSML aliases), reprompt, card and screen data, as one text."""
    body = response["response"]
    parts = [
        body.get("outputSpeech", {}).get("ssml", ""),
        ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""),
        str(body.get("card") or ""),
        str([d.get("datasources") for d in body.get("directives", [])]),
    ]
    return " ".join(parts)


def replies(locale: str) -> list[dict[str, Any]]:
    skill = build_skill(None)
    out = []
    for feature in DANGER.values():
        session = Session(locale=locale, screen=True)
        out.append(
            invoke(
                skill,
                session.intent(
                    "ReportSymptomsIntent",
                    [SlotValue("DangerSign", feature, feature, slot_type="DANGER_SIGN")],
                ),
            )
        )
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


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en-GB", ["NHS 111", "GP", "A&amp;E"]),
        ("en-AU", ["healthdirect", "GP"]),
        ("en-CA", ["walk-in clinic"]),
        ("en-US", ["urgent care"]),
        ("en-IN", ["hospital"]),
    ],
)
def test_urgent_care_is_said_in_the_markets_words(locale: str, words: list[str]) -> None:
    skill = build_skill(None)
    session = Session(locale=locale)
    response = invoke(
        skill,
        session.intent(
            "ReportSymptomsIntent",
            [
                SlotValue(
                    "DangerSign", "hot swollen calf", "calf_hot_swollen", slot_type="DANGER_SIGN"
                )
            ],
        ),
    )
    ssml = response["response"]["outputSpeech"]["ssml"]
    for word in words:
        assert word in ssml, (locale, word, ssml)


COUNTRY_NUMBERS = read_numbers()


@pytest.mark.slow
@pytest.mark.parametrize(
    "locale", ["de-DE", "fr-FR", "es-ES", "it-IT", "nl-NL", "en-IE", "en-NZ", "pt-PT"]
)
def test_a_market_without_strings_hears_its_own_countrys_number(locale: str) -> None:
    """A request in a market the skill has no strings for is answered in English with that
    country's number (112 across the EU, 111 in New Zealand), said the local way, in speech,
    card and screen; never 911, 999 or 000."""
    own = COUNTRY_NUMBERS[locale.split("-")[1]]
    for response in replies(locale):
        text = everything_shown(response)
        assert re.search(rf"(?<!\d){own['number']}(?!\d)", text), text[:300]
        others = {"911", "999", "000", "112", "111"} - {own["number"]}
        assert not re.search(rf"(?<!\d)({'|'.join(others)})(?!\d)", text), (locale, text)
    danger = everything_shown(replies(locale)[0])
    assert f'alias="{own["say_as"]}"' in danger


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(COUNTRY_NUMBERS))
def test_every_listed_country_hears_its_number_in_an_emergency(code: str) -> None:
    response = invoke(
        build_skill(None),
        Session(locale=f"xx-{code}").intent(
            "ReportSymptomsIntent",
            [SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")],
        ),
    )
    assert f"Call {COUNTRY_NUMBERS[code]['number']} now" in everything_shown(response)


def test_an_english_market_without_its_own_strings_hears_no_market_number() -> None:
    skill = build_skill(None)
    response = invoke(
        skill,
        Session(locale="en-ZA").intent(
            "ReportSymptomsIntent",
            [SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")],
        ),
    )
    text = everything_shown(response)
    assert "your local emergency number" in text
    assert not re.search(r"(?<!\d)(911|999|112|000)(?!\d)", text)


EMERGENCY_NUMBERS = json.loads(NUMBERS_PATH.read_text(encoding="utf-8"))["countries"]
EVERY_NUMBER = {"911", "999", "000", "112", "111"} | {
    e["number"] for e in EMERGENCY_NUMBERS.values()
}
LOCAL = "your local emergency number"
HEARD = [
    ("de-DE", "112", "one one two"),
    ("fr-FR", "112", "one one two"),
    ("es-ES", "112", "one one two"),
    ("it-IT", "112", "one one two"),
    ("en-IE", "112", "one one two"),
    ("en-NZ", "111", "one one one"),
    ("xx-ZZ", LOCAL, None),
    *((f"xx-{code}", e["number"], e["say_as"]) for code, e in sorted(EMERGENCY_NUMBERS.items())),
]


def danger_in_own_words(locale: str) -> tuple[str, str, dict[str, Any]]:
    """What a runner hears (the SSML, with how numbers are said), the card's text and the
    screen's data when they say "my chest is really tight" at once on an Echo Show: words
    the model does not resolve, so the skill itself hears the danger."""
    response = invoke(
        build_skill(None),
        Session(locale=locale, screen=True).intent(
            "ReportSymptomsIntent",
            [SlotValue("DangerSign", "my chest is really tight", None, slot_type="DANGER_SIGN")],
        ),
    )
    body = response["response"]
    screens = [
        d["datasources"]["checkin"]["properties"]
        for d in body.get("directives", [])
        if d.get("datasources")
    ]
    assert len(screens) == 1, body
    return body["outputSpeech"]["ssml"], str(body["card"]["content"]), screens[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("locale", "number", "said_as"), HEARD, ids=[locale for locale, _, _ in HEARD]
)
def test_speech_card_and_screen_give_the_countrys_number_and_no_other(
    locale: str, number: str, said_as: str | None
) -> None:
    """de-DE, fr-FR, es-ES, it-IT and every country of skill/data/emergency_numbers.json
    hear their own number first, said the local way (112 across Europe, 111 in New
    Zealand), the card and the screen give the same number, and none of them holds 911, 999,
    000 or another country's number; a country the file does not list (xx-ZZ) hears "your
    local emergency number"."""
    ssml, card, screen = danger_in_own_words(locale)
    heard = f'<sub alias="{said_as}">{number}</sub>' if said_as else number
    assert ssml.startswith(f"<speak>Call {heard} now"), ssml[:200]
    assert card.startswith(f"1. Call {number} now"), card[:200]
    assert screen["number"] == number, screen
    assert screen["action"].startswith(f"Call {number} now"), screen
    for text in (ssml, card, json.dumps(screen)):
        for other in EVERY_NUMBER - {number}:
            assert not re.search(rf"(?<!\d){other}(?!\d)", text), (locale, other, text)
