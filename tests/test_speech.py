"""What Alexa says, built from the engine's plain results."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from tests.support.markets import locale_models

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


def test_reading_ssml_back_undoes_the_escaping_and_the_local_numbers() -> None:
    spoken = Spoken(("Call 000 & wait.", "Fish <3 chips", "a&lt;b"))
    ssml = spoken.ssml_for({"000": "triple zero"})
    assert '<sub alias="triple zero">000</sub>' in ssml
    assert parts_of(ssml) == spoken.parts
    assert parts_of("<speak></speak>") == ()


def test_a_card_lists_the_steps_in_order() -> None:
    spoken = outcome(EN, KB, assess({"between_toes": True, "burning": True, "lasts_days": False}))
    steps = [line for line in spoken.card_lines if line[:2] in ("1.", "2.", "3.", "4.")]
    assert steps[0] == "1. " + EN.advice("ice")
    assert spoken.card_text.splitlines()[-1] == EN.prompt("disclaimer")


# ------------------------------------------------------------------ advice that could harm


def _outcome_answers() -> list[tuple[str, dict[str, bool]]]:
    """Every kind of outcome the engine reaches: each cause on its own evidence, each danger
    sign, each adjacent complaint, and advice that names no cause."""
    found: list[tuple[str, dict[str, bool]]] = [
        (
            f"cause:{c.id}",
            {
                e.feature: True
                for e in c.evidence
                if e.present > 0 and KB.features[e.feature].category != "danger"
            },
        )
        for c in KB.causes
    ]
    found += [(f"danger:{d.id}", {d.any_features[0]: True}) for d in KB.danger_signs]
    found += [(f"complaint:{c.id}", {c.any_features[0]: True}) for c in KB.complaints]
    found.append(("unclear", {"legs": True}))
    return found


OUTCOMES = _outcome_answers()
CONTRAINDICATED = [
    (advice_id, sign)
    for advice_id, entry in KB.advice.items()
    for sign in entry.get("contraindicated_by", ())
]


def _everything_shown(strings: object, result: object) -> str:
    """What the runner hears, reads on the card and sees on a screen."""
    from skill.screen import screen_lines

    spoken = outcome(strings, KB, result)  # type: ignore[arg-type]
    shown = spoken.screen.content()[1] if spoken.screen is not None else {}
    return "\n".join([spoken.text, spoken.card_title or "", spoken.card_text, *screen_lines(shown)])


def test_the_knowledge_names_advice_that_could_harm() -> None:
    """Drinking with signs of water overload, keeping moving after a collapse: the
    contraindications are data, so the tests below cover every one."""
    assert ("hydrate", "water_overload_signs") in CONTRAINDICATED
    assert ("sip_fluids", "drank_lots") in CONTRAINDICATED
    assert ("cool_down", "collapsed") in CONTRAINDICATED


@pytest.mark.parametrize("locale", locale_models())
@pytest.mark.parametrize(("advice", "sign"), CONTRAINDICATED, ids=lambda x: str(x))
def test_advice_that_could_harm_is_never_said_shown_or_carded(
    locale: str, advice: str, sign: str
) -> None:
    """Every outcome kind, with each sign that contraindicates an advice step added: the
    step is not spoken, not on the card, not on the screen, in any market."""
    strings = strings_for(locale)
    step = strings.advice(advice)
    given = [
        name
        for name, answers in OUTCOMES
        if step in _everything_shown(strings, assess({**answers, sign: True}))
    ]
    assert given == []


@pytest.mark.slow
@given(
    st.sets(st.sampled_from(sorted(KB.features)), min_size=1, max_size=8),
    st.sampled_from(locale_models()),
)
@settings(max_examples=300, deadline=None)
def test_no_reachable_outcome_speaks_a_contraindicated_step(
    features: set[str], locale: str
) -> None:
    """Any mix of what a runner can say: each step whose contraindicating sign is present
    (after implications and combinations) is nowhere in the outcome; and with signs of
    water overload, nothing tells the runner to drink."""
    strings = strings_for(locale)
    result = assess({f: True for f in features})
    shown = _everything_shown(strings, result)
    for advice_id, sign in CONTRAINDICATED:
        if sign in result.present:
            assert strings.advice(advice_id) not in shown, (advice_id, sign, features)
    if "water_overload_signs" in result.present or "drank_lots" in result.present:
        for drink in ("hydrate", "sports_drink", "sip_fluids"):
            assert strings.advice(drink) not in shown, (drink, features)
