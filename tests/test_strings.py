"""Locale strings: complete for every rule, paraphrased, and fit to be spoken."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from skill.knowledge import load_knowledge, read_knowledge_data
from skill.strings import LOCALES, LOCALES_DIR, check_locale, strings_for
from skill.tools.paths import article_path

KB = load_knowledge()
LOCALE_FILES = sorted(LOCALES_DIR.glob("*.json"))
ARTICLE = article_path(read_knowledge_data())


def all_text(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in all_text(v)]
    if isinstance(node, list):
        return [t for v in node for t in all_text(v)]
    return []


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


@pytest.mark.parametrize("code", sorted(LOCALES))
def test_locale_has_text_for_every_rule(code: str) -> None:
    """Each locale, merged over the language file it extends, has every text."""
    assert check_locale(LOCALES[code].data, KB, f"{code}.json") == []


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_spoken_words_paraphrase_the_article(path: Path) -> None:
    """No run of seven words from the article appears in what the skill says."""
    article = words(ARTICLE.read_text(encoding="utf-8"))
    runs = {" ".join(article[i : i + 7]) for i in range(len(article) - 6)}
    data = json.loads(path.read_text(encoding="utf-8"))
    copied = []
    for text in all_text(data):
        ws = words(text)
        copied += [
            " ".join(ws[i : i + 7]) for i in range(len(ws) - 6) if " ".join(ws[i : i + 7]) in runs
        ]
    assert copied == []


@pytest.mark.parametrize("code", sorted(LOCALES))
def test_the_skill_informs_and_never_diagnoses(code: str) -> None:
    data = LOCALES[code].data
    spoken = all_text({k: data[k] for k in ("causes", "advice", "levels", "danger", "raised")})
    for text in spoken:
        assert not re.search(r"\byou (have|'ve got|are suffering)\b", text, re.I), text
    assert "sign of" in data["prompts"]["may_be"]
    assert "not a diagnosis" in data["prompts"]["disclaimer"]


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_sentences_are_short_enough_to_follow_out_of_breath(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for text in all_text({k: v for k, v in data.items() if k != "publishing"}):
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            assert len(words(sentence)) <= 30, sentence


def test_questions_can_be_answered_yes_or_no() -> None:
    for strings in LOCALES.values():
        for feature, text in strings.data["questions"].items():
            assert text.endswith("?"), feature
            last = text.split(". ")[-1].split()[0]
            assert last in {"Do", "Does", "Is", "Are", "Did", "Has", "Have"}, text


def test_unknown_locale_falls_back_by_language_then_default() -> None:
    assert strings_for("en-GB").locale == "en-GB"
    # an English market without its own file never hears another market's number
    assert strings_for("en-NZ").locale == "en"
    assert strings_for("en-NZ").emergency_number == "111"  # its own country's number
    assert strings_for("en-ZA").emergency_number == "your local emergency number"
    # a language without strings is answered in English, with its country's number
    assert strings_for("de-DE").locale == "en"
    assert strings_for("de-DE").emergency_number == "112"
    assert strings_for("xx-YY").emergency_number == "your local emergency number"
    # another language in one of the five markets hears that market's number
    assert (
        strings_for("es-US").emergency_number,
        strings_for("fr-CA").emergency_number,
        strings_for("hi-IN").emergency_number,
    ) == ("911", "911", "112")
    assert strings_for(None).locale == "en-US"


def test_the_emergency_numbers_file_is_checked() -> None:
    from skill.strings import check_numbers

    assert check_numbers(
        {"countries": {"de": {"number": "11 2", "say_as": ""}}, "sources": [{"url": "http://x"}]}
    ) == [
        "skill/data/emergency_numbers.json:$.countries.de: expected a two-letter country "
        "code in capitals",
        "skill/data/emergency_numbers.json:$.countries.de.number: expected digits, got '11 2'",
        "skill/data/emergency_numbers.json:$.countries.de.say_as: expected how the number "
        "is said, got ''",
        "skill/data/emergency_numbers.json:$.sources[0]: expected a named source with its "
        "https url",
    ]


MARKETS = {
    "en-US": ({"911"}, "a doctor"),
    "en-CA": ({"911"}, "your family doctor"),
    "en-GB": ({"999", "112"}, "your GP"),
    "en-AU": ({"000"}, "your GP"),
    "en-IN": ({"112"}, "a doctor"),
}


@pytest.mark.parametrize("code", sorted(MARKETS))
def test_each_market_has_its_own_number_and_doctor(code: str) -> None:
    numbers, doctor = MARKETS[code]
    strings = strings_for(code)
    assert strings.emergency_number in numbers and strings.doctor == doctor
    assert strings.emergency_number in strings.advice("call_emergency")
    assert doctor in strings.advice("see_doctor")
    others = {n for c, (ns, _) in MARKETS.items() for n in ns} - numbers
    every = " ".join(
        [
            *all_text(strings.data),
            strings.advice("call_emergency"),
            strings.advice("urgent_care"),
            strings.prompt("help"),
            strings.prompt("error"),
        ]
    )
    assert not {n for n in others if re.search(rf"\b{n}\b", every)}, code


def test_a_new_locale_is_data_only() -> None:
    """A market file holds only what differs; everything else comes from the language."""
    for path in LOCALE_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "extends" in data:
            assert set(data) <= {
                "locale",
                "extends",
                "emergency_number",
                "say_as",
                "doctor",
                "advice",
                "prompts",
                "levels",
                "clock",
                "publishing",
            }, path.name


def test_emergency_number_fills_placeholders() -> None:
    strings = strings_for("en-US")
    assert strings.emergency_number == "911"
    assert "911" in strings.advice("call_emergency")
    assert "{" not in strings.prompt("help")
