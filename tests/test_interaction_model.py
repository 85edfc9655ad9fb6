"""The interaction models, parametrized over the files themselves.

A new locale file, intent, sample or slot value is checked here without
writing a new test: against the JSON Schema of Amazon's format, Amazon's
rules, and the skill (handlers, knowledge features, reachable rules).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.handlers import HANDLED_INTENTS
from skill.knowledge import load_knowledge
from skill.simulator.nlu import InteractionModel
from skill.triage import assess
from skill.validate import (
    MODELS_DIR,
    check_interaction_model,
    check_model_schema,
    check_reach,
    model_feature_ids,
)

KB = load_knowledge()
MODEL_FILES = sorted(MODELS_DIR.glob("*.json"))
MODELS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in MODEL_FILES}


def lm(locale: str) -> dict[str, Any]:
    data: dict[str, Any] = MODELS[locale]["interactionModel"]["languageModel"]
    return data


def test_there_is_an_en_us_model() -> None:
    assert "en-US" in MODELS
    assert lm("en-US")["invocationName"] == "leg check"


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_model_follows_amazons_schema(path: Path) -> None:
    assert check_model_schema(MODELS[path.stem], path.name) == []


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_model_follows_amazons_rules_and_the_skill(path: Path) -> None:
    assert check_interaction_model(MODELS[path.stem], path.name) == []


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_every_intent_has_a_handler_and_every_handler_an_intent(locale: str) -> None:
    names = {i["name"] for i in lm(locale)["intents"]}
    assert names - HANDLED_INTENTS == set()
    assert HANDLED_INTENTS - names == set()


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_every_slot_value_id_is_a_feature_the_engine_knows(locale: str) -> None:
    for slot_type in lm(locale).get("types", []):
        for value in slot_type["values"]:
            assert value["id"] in KB.features, (slot_type["name"], value["id"])


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_every_cause_and_danger_sign_is_reachable_by_voice(locale: str) -> None:
    sayable = model_feature_ids({locale: MODELS[locale]})
    assert check_reach(KB, sayable, {}) == []


@pytest.mark.parametrize("locale", sorted(MODELS))
def test_custom_intents_have_dozens_of_samples(locale: str) -> None:
    for intent in lm(locale)["intents"]:
        if intent["name"] in ("ReportSymptomsIntent", "AnswerIntent"):
            assert len(intent["samples"]) >= 36, intent["name"]
        elif not intent["name"].startswith("AMAZON."):
            assert len(intent["samples"]) >= 12, intent["name"]


@pytest.mark.parametrize("locale", sorted(MODELS))
@pytest.mark.parametrize("sign", KB.danger_signs, ids=lambda s: s.id)
def test_each_danger_sign_said_whole_resolves_to_it(locale: str, sign: Any) -> None:
    """Every synonym of a danger value, said on its own, raises that danger sign."""
    model = InteractionModel.from_dict(MODELS[locale], locale)
    danger = next(t for t in lm(locale)["types"] if t["name"] == "DANGER_SIGN")
    for value in danger["values"]:
        if value["id"] not in sign.any_features:
            continue
        for words in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            heard = model.resolve(words, in_session=True)
            answers = {str(s.resolved_id): True for s in heard.slots if s.resolved_id}
            assert sign.id in assess(answers).danger_signs, (words, heard.describe())
