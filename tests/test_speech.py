"""What Alexa says, built from the engine's plain results."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from skill.knowledge import load_knowledge
from skill.speech import (
    MAX_WORDS,
    Spoken,
    describe_features,
    join_words,
    outcome,
    parts_of,
    word_count,
)
from skill.strings import LOCALES, strings_for
from skill.triage import assess
from tests.markets import locale_models

KB = load_knowledge()
EN = strings_for("en-US")
MAX_SPEECH = 8000


def test_join_words_reads_naturally() -> None:
    assert join_words(["tingling"], "and") == "tingling"
    assert join_words(["tingling", "itching"], "and") == "tingling and itching"
    assert join_words(["a", "b", "c"], "or") == "a, b or c"


def test_the_runners_own_symptoms_are_described() -> None:
    text = describe_features(EN, KB, ["tingling", "itching", "legs", "after_run"])
    assert text == "tingling and itching in your legs, and that it came on after your run"


def test_a_clause_without_a_symptom_still_reads_as_a_sentence() -> None:
    assert (
        describe_features(EN, KB, ["fades_after_cooldown"]) == "that it eased once you cooled down"
    )
    assert (
        describe_features(EN, KB, ["lower_legs", "worse_as_run_goes_on"])
        == "it's in your shins or calves, and that it got worse as you ran"
    )


@pytest.mark.parametrize("locale", sorted(LOCALES))
@pytest.mark.parametrize("cause", KB.causes, ids=lambda c: c.id)
def test_every_outcome_is_valid_short_ssml(locale: str, cause: object) -> None:
    strings = LOCALES[locale]
    answers = {e.feature: True for e in cause.evidence if e.present > 0}  # type: ignore[attr-defined]
    spoken = outcome(strings, KB, assess(answers))
    assert spoken.ssml.startswith("<speak>") and spoken.ssml.endswith("</speak>")
    assert len(spoken.ssml) < MAX_SPEECH
    assert spoken.text.endswith(strings.prompt("disclaimer"))
    assert spoken.card_title


@pytest.mark.parametrize("sign", KB.danger_signs, ids=lambda s: s.id)
def test_danger_speech_starts_with_what_to_do(sign: object) -> None:
    result = assess({sign.any_features[0]: True})  # type: ignore[attr-defined]
    spoken = outcome(EN, KB, result)
    assert spoken.parts[0] == EN.advice(result.advice[0])
    assert EN.emergency_number in spoken.text
    assert spoken.card_title == EN.prompt("card_title_danger")


def test_text_is_escaped_for_ssml() -> None:
    data = {
        **EN.data,
        "prompts": {**EN.data["prompts"], "disclaimer": "Info & advice <not> a diagnosis."},
    }
    strings = dataclasses.replace(EN, data=data)
    spoken = outcome(strings, KB, assess({"twitching": True, "lower_legs": True}))
    assert "Info &amp; advice &lt;not&gt; a diagnosis." in spoken.ssml
    assert "Info & advice <not> a diagnosis." in spoken.text


def test_weak_evidence_is_said_honestly() -> None:
    result = assess(
        {
            "tightness": True,
            "worse_as_run_goes_on": False,
            "twitching": False,
            "lasts_days": False,
            "itching": False,
        },
        asked=["a", "b", "c", "d"],
    )
    spoken = outcome(EN, KB, result)
    assert spoken.parts[0] == EN.prompt("unclear")
    assert spoken.card_title == EN.prompt("card_title_unclear")


# ------------------------------------------------------------------ the voice

MARKETS = locale_models()  # every locale with a model: a new one is tested without edits
SSML_TAGS = {"speak": set(), "break": {"time"}, "sub": {"alias"}}
"""The SSML Leg Check uses, each a tag Alexa documents, with the attributes it documents."""


def outcomes() -> list[tuple[str, dict[str, bool]]]:
    """Every cause's typical presentation, alone and with each red flag; an unclear one;
    every danger sign."""
    cases: list[tuple[str, dict[str, bool]]] = []
    for cause in KB.causes:
        base = {e.feature: True for e in sorted(cause.evidence, key=lambda e: -e.present)[:3]}
        cases.append((cause.id, base))
        for flag in ("lasts_days", "cant_walk", "pain"):
            cases.append((f"{cause.id}+{flag}", {**base, flag: True}))
    cases.append(("unclear", {"numbness": True, "legs": True}))
    for sign in KB.danger_signs:
        cases.append((sign.id, {sign.any_features[0]: True}))
    return cases


def check_ssml(ssml: str) -> list[str]:
    """Problems Alexa would refuse: not well-formed, or a tag or attribute it does not know."""
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError as exc:
        return [f"not well-formed: {exc}"]
    problems = [] if root.tag == "speak" else [f"the root is <{root.tag}>"]
    for node in root.iter():
        if node.tag not in SSML_TAGS:
            problems.append(f"<{node.tag}> is not SSML Alexa documents")
        elif set(node.attrib) - SSML_TAGS[node.tag]:
            problems.append(f"<{node.tag}> with {sorted(node.attrib)}")
    return problems


@pytest.mark.parametrize("locale", MARKETS)
@pytest.mark.parametrize(("name", "answers"), outcomes(), ids=[n for n, _ in outcomes()])
def test_advice_is_said_in_about_30_seconds_as_valid_ssml_that_reads_back(
    locale: str, name: str, answers: dict[str, bool]
) -> None:
    strings = strings_for(locale)
    spoken = outcome(strings, KB, assess(answers))
    assert word_count(spoken.parts) <= MAX_WORDS, (name, word_count(spoken.parts), spoken.text)
    ssml = spoken.ssml_for(strings.aliases)
    assert check_ssml(ssml) == []
    assert spoken.card_lines and spoken.screen is not None
    # what was said is read back from its SSML as it was said (the Repeat intent relies on it)
    assert parts_of(ssml) == spoken.parts
    assert Spoken(parts_of(ssml)).ssml_for(strings.aliases) == ssml


def test_the_most_important_instruction_comes_first() -> None:
    danger = outcome(EN, KB, assess({"chest_pain": True}))
    assert danger.parts[0] == EN.advice("call_emergency")
    flagged = outcome(EN, KB, assess({"numbness": True, "legs": True, "cant_walk": True}))
    assert flagged.parts[0] == EN.prompt("see_doctor_because", reasons=EN.red_flag("cant_walk"))


@pytest.mark.parametrize("locale", MARKETS)
def test_the_emergency_number_is_said_the_local_way(locale: str) -> None:
    strings = strings_for(locale)
    ssml = outcome(strings, KB, assess({"chest_pain": True})).ssml_for(strings.aliases)
    number = strings.emergency_number
    assert f'<sub alias="{strings.aliases[number]}">{number}</sub>' in ssml
    assert check_ssml(ssml) == []
