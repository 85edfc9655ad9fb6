"""What Alexa says, built from the engine's plain results."""

from __future__ import annotations

import dataclasses

import pytest

from skill.knowledge import load_knowledge
from skill.speech import describe_features, join_words, outcome
from skill.strings import LOCALES, strings_for
from skill.triage import assess

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
    assert describe_features(EN, KB, ["fades_after_cooldown"]) == \
        "that it eased once you cooled down"
    assert describe_features(EN, KB, ["lower_legs", "worse_as_run_goes_on"]) == \
        "it's in your shins or calves, and that it got worse as you ran"


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
    data = {**EN.data, "prompts": {**EN.data["prompts"],
                                   "disclaimer": "Info & advice <not> a diagnosis."}}
    strings = dataclasses.replace(EN, data=data)
    spoken = outcome(strings, KB, assess({"twitching": True, "lower_legs": True}))
    assert "Info &amp; advice &lt;not&gt; a diagnosis." in spoken.ssml
    assert "Info & advice <not> a diagnosis." in spoken.text


def test_weak_evidence_is_said_honestly() -> None:
    result = assess({"tightness": True, "worse_as_run_goes_on": False, "twitching": False,
                     "lasts_days": False, "itching": False}, asked=["a", "b", "c", "d"])
    spoken = outcome(EN, KB, result)
    assert spoken.parts[0] == EN.prompt("unclear")
    assert spoken.card_title == EN.prompt("card_title_unclear")
