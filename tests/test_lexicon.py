"""The lexicon: a language's words and rules are data, checked before they are used."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from skill.errors import DataError
from skill.interpret import interpret
from skill.knowledge import load_knowledge
from skill.lexicon import (
    build_lexicon,
    check_lexicon,
    read_lexicon_data,
    read_spelling,
    stemmer_for,
    tokens,
)

KB = load_knowledge()
DATA = read_lexicon_data("en")


def _changed(**sections: Any) -> dict[str, Any]:
    data = copy.deepcopy(DATA)
    data.update(sections)
    return data


def test_every_new_language_needs_its_own_rules() -> None:
    for key in ("stemmer", "spelling", "lead_fillers", "numbers"):
        data = copy.deepcopy(DATA)
        del data[key]
        assert check_lexicon(data, KB, "xx.json") == [f"xx.json:$.{key}: missing"]


def test_the_stemmer_is_named_and_must_exist() -> None:
    assert type(stemmer_for("english")).__name__ == "EnglishStemmer"
    assert type(stemmer_for("dutch_porter")).__name__ == "DutchPorterStemmer"
    for name in ("klingon", "English", "../english", ""):
        with pytest.raises(DataError):
            stemmer_for(name)
    problems = check_lexicon(_changed(stemmer="klingon"), KB, "xx.json")
    assert problems == ["xx.json:$.stemmer: 'klingon': no such Snowball stemmer"]


def test_spelling_rules_are_checked() -> None:
    spelling = {
        **DATA["spelling"],
        "word_pattern": "([a-z]+)",
        "joined": {"cannot": "can't"},
        "dropped_endings": [""],
    }
    problems = check_lexicon(_changed(spelling=spelling), KB, "xx.json")
    assert problems == [
        "xx.json:$.spelling.word_pattern: has capturing groups; use (?:...)",
        "xx.json:$.spelling.dropped_endings: '' is not an ending",
        "xx.json:$.spelling.joined.cannot: expected two words or more",
    ]
    problems = check_lexicon(_changed(spelling={**spelling, "word_pattern": "[a-z"}), KB, "x")
    assert problems[0].startswith("x:$.spelling.word_pattern: not a regular expression")
    problems = check_lexicon(_changed(spelling={"contractions": []}), KB, "x")
    assert "x:$.spelling.word_pattern: expected a regular expression" in problems
    assert "x:$.spelling.contractions: expected an object of words" in problems


def test_the_words_the_rules_need_are_lists() -> None:
    clauses = {k: v for k, v in DATA["clauses"].items() if k != "and_words"}
    problems = check_lexicon(_changed(clauses=clauses, lead_fillers="um"), KB, "x")
    assert problems == [
        "x:$.clauses.and_words: expected a list of words",
        "x:$.lead_fillers: expected a list of words",
    ]


def test_spelling_comes_from_the_lexicon_file() -> None:
    english = read_spelling(DATA["spelling"])
    assert tokens("I cant walk, I'm not able to", english) == tokens("I cant walk, I'm not able to")
    plain = read_spelling(
        {
            "word_pattern": "[a-z]+",
            "contractions": {},
            "dropped_endings": [],
            "keep_ending": [],
            "joined": {"kan ikke": "kan_ikke"},
        }
    )
    assert tokens("I cant, kan ikke!", plain) == ["i", "cant", ",", "kan_ikke", "!"]


def test_the_interpreters_english_is_read_from_the_lexicon() -> None:
    lex = build_lexicon(DATA, KB)
    assert interpret(["um, yeah"], "itching", KB, lex).answer is True
    assert interpret(["heavier and heavier"], None, KB, lex).present >= {"worse_as_run_goes_on"}
    other = build_lexicon(
        _changed(
            lead_fillers=[],
            clauses={**DATA["clauses"], "and_words": ["und"]},
            requests={
                **DATA["requests"],
                "lead": [w for w in DATA["requests"]["lead"] if w != "um"],
            },
        ),
        KB,
    )
    assert interpret(["um, yeah"], "itching", KB, other).answer is None
    assert "worse_as_run_goes_on" not in interpret(["heavier and heavier"], None, KB, other).present
    assert "worse_as_run_goes_on" in interpret(["heavier und heavier"], None, KB, other).present
