"""The knowledge file: its schema, its references and its sources."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from skill.errors import DataError
from skill.knowledge import (
    build_knowledge,
    check_article_anchors,
    check_knowledge,
    load_schema,
    read_knowledge_data,
)
from skill.tools.paths import article_path

DATA = read_knowledge_data()


def test_the_shipped_knowledge_has_no_problems() -> None:
    assert check_knowledge(DATA) == []


def test_every_cited_article_section_is_in_the_article() -> None:
    assert check_article_anchors(DATA, article_path(DATA)) == []


def _walk(node: Any, path: str = "$") -> list[str]:
    """Schema places that define a value but carry no plain-English description."""
    missing = []
    if isinstance(node, dict):
        is_definition = any(k in node for k in ("type", "enum", "$ref", "properties"))
        if is_definition and not node.get("description") and "$ref" not in node:
            missing.append(path)
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    missing.extend(_walk(sub, f"{path}.{key}.{name}"))
            elif key == "items":
                missing.extend(_walk(value, f"{path}.items"))
    return missing


def test_every_schema_field_has_a_description() -> None:
    assert _walk(load_schema()) == []


def test_every_cause_and_advice_traces_to_the_article_or_a_named_source() -> None:
    sections = {s["id"] for s in DATA["article"]["sections"]}
    for group in ("causes", "advice", "escalations", "history_rules", "danger_signs"):
        for item in DATA[group]:
            src = item["source"]
            assert src.get("article_section") in sections or src["public_source"]["url"]


def test_danger_signs_cite_public_sources_not_the_article() -> None:
    for sign in DATA["danger_signs"]:
        assert sign["source"]["public_source"]["name"]
        assert sign["source"]["public_source"]["url"].startswith("https://")


def test_every_problem_is_listed_with_its_place() -> None:
    broken = copy.deepcopy(DATA)
    broken["causes"][0]["evidence"][0]["feature"] = "wobbly_knees"
    broken["causes"][1]["advice"].append("rub_some_dirt_on_it")
    broken["danger_signs"][0]["level"] = "panic"
    broken["advice"][0]["source"] = {"article_section": "no_such_section"}
    problems = check_knowledge(broken)
    joined = "\n".join(problems)
    assert len(problems) == 5, joined
    assert "$.causes[0].core[0]: core feature 'itching' has no positive evidence" in joined
    assert "$.causes[0].evidence[0].feature: unknown feature 'wobbly_knees'" in joined
    assert "$.causes[1].advice[3]: unknown advice 'rub_some_dirt_on_it'" in joined
    assert "$.danger_signs[0].level" in joined and "'panic'" in joined
    assert "$.advice[0].source.article_section" in joined


def test_a_feature_weighed_twice_for_one_cause_is_refused() -> None:
    broken = copy.deepcopy(DATA)
    evidence = broken["causes"][1]["evidence"]
    evidence.append(dict(evidence[0]))
    problems = check_knowledge(broken)
    place = f"$.causes[1].evidence[{len(evidence) - 1}].feature"
    assert any(
        p.startswith(f"skill/data/knowledge.json:{place}") and "weighed twice" in p
        for p in problems
    ), problems


def test_schema_errors_are_listed_with_their_place() -> None:
    broken = copy.deepcopy(DATA)
    del broken["causes"][2]["level"]
    broken["features"][0]["category"] = "vibe"
    problems = check_knowledge(broken)
    assert any("$.causes[2]" in p and "'level' is a required property" in p for p in problems)
    assert any("$.features[0].category" in p for p in problems)


def test_a_danger_sign_without_a_public_source_is_refused() -> None:
    broken = copy.deepcopy(DATA)
    broken["danger_signs"][0]["source"] = {"article_section": "introduction"}
    assert any("must cite a public_source" in p for p in check_knowledge(broken))


def test_broken_yields_complaints_and_contraindications_are_each_listed() -> None:
    broken = copy.deepcopy(DATA)
    sign = next(i for i, d in enumerate(broken["danger_signs"]) if d["id"] == "collapse")
    broken["danger_signs"][sign]["yields_to"] = ["heat_stroke", "no_such_sign", "collapse"]
    broken["complaints"][0]["source"] = {"article_section": "introduction"}
    broken["complaints"][1]["unless_features"].append(broken["complaints"][1]["any_features"][0])
    advice = next(i for i, a in enumerate(broken["advice"]) if a["id"] == "hydrate")
    broken["advice"][advice]["contraindicated_by"].append("no_such_sign")
    problems = check_knowledge(broken)
    for place, words in (
        (f"$.danger_signs[{sign}].yields_to[1]", "another danger sign"),
        (f"$.danger_signs[{sign}].yields_to[2]", "cannot yield to itself"),
        ("$.complaints[0].source", "must cite a public_source"),
        ("$.complaints[1].unless_features", "both makes and unmakes"),
        (f"$.advice[{advice}].contraindicated_by", "unknown feature"),
    ):
        assert any(place in p and words in p for p in problems), (place, problems)


def test_loading_broken_knowledge_raises_with_every_problem() -> None:
    broken = copy.deepcopy(DATA)
    broken["causes"][0]["level"] = "whenever"
    broken["causes"][0]["advice"] = ["nap"]
    with pytest.raises(DataError) as err:
        build_knowledge(broken)
    assert len(err.value.problems) == 2


def test_missing_article_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    problems = check_article_anchors(DATA, tmp_path / "nope.txt")
    assert problems and "missing" in problems[0]
