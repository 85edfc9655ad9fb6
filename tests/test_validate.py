"""``legcheck validate``: every rule reports its problem with the file and the place."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.knowledge import KNOWLEDGE_PATH, build_knowledge, load_knowledge, read_knowledge_data
from skill.strings import LOCALES_DIR
from skill.tools.cli import main
from skill.tools.models import MODELS_DIR, OVERLAYS_DIR, sync_model_types
from skill.tools.paths import REPO_ROOT
from skill.tools.validate import (
    check_interaction_model,
    check_invocation_name,
    check_model_schema,
    check_reach,
    validate,
)
from tests.support.small_model import small_model_dict

KB = load_knowledge()
ANY_OBJECT: dict[str, Any] = {"type": "object"}
LM_PLACE = "$.interactionModel.languageModel"


def problems_in(data: dict[str, Any]) -> list[str]:
    return check_interaction_model(data, "m.json", KB, schema=ANY_OBJECT)


def intent(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        i for i in data["interactionModel"]["languageModel"]["intents"] if i["name"] == name
    )
    return found


def lm(data: dict[str, Any]) -> dict[str, Any]:
    language: dict[str, Any] = data["interactionModel"]["languageModel"]
    return language


def test_a_sound_model_has_no_problems() -> None:
    assert problems_in(small_model_dict()) == []


# ------------------------------------------------------------------ invocation name


@pytest.mark.parametrize(
    "name,complaint",
    [
        ("legcheck", "must be two words or more"),
        ("Leg Check", "may hold only lower-case letters"),
        ("leg check 2", "spell numbers out"),
        ("ask leg check", "the launch word 'ask'"),
        ("leg check skill", "'skill', a wake word"),
        ("alexa leg check", "'alexa', a wake word"),
        ("legs to check", "the connecting word 'to'"),
        ("the legs", "a two-word invocation name cannot include an article"),
        ("leg check's'", "apostrophe that is not possessive"),
        ("leg.check now", "period outside a spoken abbreviation"),
    ],
)
def test_invocation_name_rules(name: str, complaint: str) -> None:
    problems = check_invocation_name(name, "m.json:$.invocationName")
    assert any(complaint in p for p in problems), problems
    assert all(p.startswith("m.json:$.invocationName: ") for p in problems)


@pytest.mark.parametrize("name", ["leg check", "runner's leg check", "a. b. c. legs"])
def test_good_invocation_names_pass(name: str) -> None:
    assert check_invocation_name(name, "x") == []


# ------------------------------------------------------------------ samples and slots


@pytest.mark.parametrize(
    "sample,complaint",
    [
        ("my legs hurt?", "contains '?'"),
        ("my legs hurt 2 days", "spell numbers out"),
        ("my {Leg} hurts", "refers to slot {Leg}, which the intent does not define"),
        ("my {BodyPart} {BodyPart}", "uses slot {BodyPart} twice"),
        ("my {BodyPart hurts", "unbalanced brace"),
        ("my  legs hurt", "extra spaces"),
        ("'my legs hurt'", "apostrophe outside a word"),
    ],
)
def test_bad_samples_are_reported_at_their_place(sample: str, complaint: str) -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["samples"].append(sample)
    problems = problems_in(data)
    assert any(
        p.startswith(f"m.json:{LM_PLACE}.intents[1].samples[3]: ") and complaint in p
        for p in problems
    ), problems


def test_contractions_and_possessives_are_fine_in_samples() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["samples"] += [
        "my calf's {Sensation}",
        "i don't know",
        "the runners' {BodyPart}",
    ]
    assert problems_in(data) == []


def test_a_sample_shared_by_two_intents_is_an_error() -> None:
    data = small_model_dict()
    intent(data, "PrivacyIntent")["samples"].append("delete my data")
    problems = problems_in(data)
    assert any("'delete my data' is also a sample of" in p for p in problems), problems


def test_samples_that_differ_only_in_slot_names_of_one_type_collide() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["samples"].append("my {BodyPart} are {Sensation} and more")
    intent(data, "ReportSymptomsIntent")["samples"].append(
        "my {BodyPart} are {SecondSensation} and more"
    )
    problems = problems_in(data)
    assert any(
        f"m.json:{LM_PLACE}.intents[1].samples[3]: 'my {{BodyPart}} are {{Sensation}} and "
        "more' is also a sample of ReportSymptomsIntent" in p
        for p in problems
    ), problems


def test_a_sample_alexa_maps_to_a_built_in_is_reported() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["samples"].append("yeah")
    problems = problems_in(data)
    assert any(
        "'yeah' is a phrase Alexa already maps to AMAZON.YesIntent" in p for p in problems
    ), problems


def test_a_sample_listed_twice_in_one_intent_is_reported() -> None:
    data = small_model_dict()
    intent(data, "PrivacyIntent")["samples"].append("What do you store")
    assert any("is listed twice in PrivacyIntent" in p for p in problems_in(data))


def test_a_slot_no_sample_uses_is_reported() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["slots"].append({"name": "Timing", "type": "TIMING"})
    assert (
        f"m.json:{LM_PLACE}.intents[1].slots[2]: slot 'Timing' is never used in a sample "
        "utterance, so it is never filled" in problems_in(data)
    )


def test_an_undefined_or_unused_slot_type_is_reported() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["slots"][0]["type"] = "FEELING"
    problems = problems_in(data)
    assert (
        f"m.json:{LM_PLACE}.intents[1].slots[0].type: slot type 'FEELING' is not defined "
        "under types" in problems
    )
    data = small_model_dict()
    lm(data)["types"].append(
        {"name": "SHOE", "values": [{"id": "feet", "name": {"value": "trainers"}}]}
    )
    assert f"m.json:{LM_PLACE}.types[4].name: slot type 'SHOE' is used by no slot" in problems_in(
        data
    )


def test_slot_values_must_be_feature_ids_and_unambiguous() -> None:
    data = small_model_dict()
    values = lm(data)["types"][0]["values"]
    values[0]["id"] = "wobbly"
    values[1]["name"]["synonyms"].append("tingly")
    values.append({"name": {"value": "numb"}})
    problems = problems_in(data)
    assert (
        f"m.json:{LM_PLACE}.types[0].values[0].id: 'wobbly' is not a feature in "
        "skill/data/knowledge.json" in problems
    )
    assert any(
        "values[2].name.synonyms[0]: 'tingly' already names the value 'itching'" in p
        for p in problems
    ), problems
    assert any("values[6]: the value 'numb' has no id" in p for p in problems), problems


def test_required_built_ins_must_be_present() -> None:
    data = small_model_dict()
    lm(data)["intents"] = [
        i
        for i in lm(data)["intents"]
        if i["name"] not in ("AMAZON.StopIntent", "AMAZON.FallbackIntent")
    ]
    problems = problems_in(data)
    assert (
        f"m.json:{LM_PLACE}.intents: AMAZON.StopIntent is missing; Amazon requires it" in problems
    )
    assert any("AMAZON.FallbackIntent is missing; Leg Check relies on it" in p for p in problems)


def test_every_intent_needs_a_handler_and_every_handler_an_intent() -> None:
    data = small_model_dict()
    lm(data)["intents"].append({"name": "DanceIntent", "samples": ["dance"]})
    lm(data)["intents"] = [i for i in lm(data)["intents"] if i["name"] != "PrivacyIntent"]
    problems = problems_in(data)
    assert any("no handler takes 'DanceIntent'" in p for p in problems), problems
    assert (
        f"m.json:{LM_PLACE}.intents: skill/handlers.py handles 'PrivacyIntent', which the model "
        "never sends" in problems
    )


def test_a_custom_intent_without_samples_can_never_be_sent() -> None:
    data = small_model_dict()
    intent(data, "PrivacyIntent")["samples"] = []
    assert any("'PrivacyIntent' has no sample utterances" in p for p in problems_in(data))


def test_schema_errors_come_first_with_their_place() -> None:
    schema = {
        "type": "object",
        "properties": {
            "interactionModel": {
                "type": "object",
                "properties": {
                    "languageModel": {
                        "type": "object",
                        "properties": {"invocationName": {"type": "string", "minLength": 3}},
                    }
                },
            }
        },
    }
    data = small_model_dict()
    lm(data)["invocationName"] = "x"
    assert check_model_schema(data, "m.json", schema) == [
        f"m.json:{LM_PLACE}.invocationName: 'x' is too short"
    ]
    assert check_interaction_model(data, "m.json", KB, schema=schema) == [
        f"m.json:{LM_PLACE}.invocationName: 'x' is too short"
    ]


# ------------------------------------------------------------------ knowledge and reach


def test_every_cause_advice_and_danger_sign_of_the_real_knowledge_is_reachable() -> None:
    real = json.loads((MODELS_DIR / "en-US.json").read_text(encoding="utf-8"))
    sayable = {v["id"] for t in lm(real)["types"] for v in t["values"]}
    locales = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in LOCALES_DIR.glob("*.json")
    }
    assert check_reach(KB, sayable, locales) == []


def test_a_cause_nothing_can_lead_to_is_reported(tmp_path: Path) -> None:
    data = read_knowledge_data()
    neuroma = next(c for c in data["causes"] if c["id"] == "neuroma")
    for ev in neuroma["evidence"]:
        ev["present"] = min(ev["present"], 0.1)
    path = tmp_path / "knowledge.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = validate([], path)
    assert any(
        "$.causes[2]: 'neuroma' cannot rank first from what a runner can say or be asked" in p
        for p in report.problems
    ), report.problems


def test_advice_no_rule_gives_and_danger_signs_no_one_can_say_are_reported() -> None:
    data = copy.deepcopy(read_knowledge_data())
    data["advice"].append(
        {"id": "stretch", "title": "Stretch", "source": {"article_section": "introduction"}}
    )
    data["combinations"] = []

    kb = build_knowledge(data)
    problems = check_reach(kb, set(), {"en-US": {"danger_words": {}}})
    assert (
        f"skill/data/knowledge.json:$.advice[{len(data['advice']) - 1}]: 'stretch' is "
        "given by no cause or rule" in problems
    )
    assert any("'stroke' can never be heard" in p for p in problems), problems


def test_broken_knowledge_is_reported_with_its_place(tmp_path: Path) -> None:
    data = read_knowledge_data()
    data["causes"][0]["advice"] = ["cool_down", "sing"]
    path = tmp_path / "knowledge.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = validate([], path)
    assert any(
        p.endswith("$.causes[0].advice[1]: unknown advice 'sing'") for p in report.problems
    ), report.problems
    assert not report.ok


# ------------------------------------------------------------------ the whole project


def test_validate_lists_problems_across_files(tmp_path: Path) -> None:
    data = small_model_dict()
    lm(data)["invocationName"] = "open legs"
    intent(data, "AnswerIntent")["samples"].append("what?")
    model = tmp_path / "en-US.json"
    model.write_text(json.dumps(data), encoding="utf-8")
    report = validate([model], KNOWLEDGE_PATH)
    ours = [p for p in report.problems if p.startswith(str(model))]
    assert any(
        f"{LM_PLACE}.invocationName: 'open legs' contains the launch word 'open'" in p for p in ours
    ), ours
    assert any(f"{LM_PLACE}.intents[1].samples[3]: 'what?' contains '?'" in p for p in ours), ours
    assert report.summary().startswith("legcheck validate: ")
    assert "problem" in report.summary()


def test_validate_cli_exits_non_zero_and_lists_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_model_dict()
    lm(data)["invocationName"] = "legcheck"
    model = tmp_path / "en-US.json"
    model.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", "--model", str(model)]) == 1
    out, err = capsys.readouterr()
    assert f"{model}:{LM_PLACE}.invocationName: 'legcheck' must be two words or more" in out
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("legcheck validate: ") and "problem" in summary


def test_a_model_named_for_no_locale_is_reported(tmp_path: Path) -> None:
    model = tmp_path / "english.json"
    model.write_text(json.dumps(small_model_dict()), encoding="utf-8")
    report = validate([model], KNOWLEDGE_PATH)
    assert (
        f"{model}: the file name should be the model's locale, such as en-US.json"
        in report.problems
    )


def test_broken_model_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    model = tmp_path / "en-US.json"
    model.write_text('{"interactionModel": {', encoding="utf-8")
    report = validate([model], KNOWLEDGE_PATH)
    assert any(p.startswith(f"{model}:1:") and "not valid JSON" in p for p in report.problems)


@pytest.mark.slow
def test_a_clean_checkout_prints_nothing_but_its_verdict() -> None:
    """No warnings to learn to ignore: one line, the verdict, and nothing on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", "validate"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 1, done.stdout
    assert done.stdout.startswith("legcheck validate: OK: interaction model ")
    assert "warning" not in done.stdout


@pytest.mark.slow
def test_the_project_as_committed_validates(capsys: pytest.CaptureFixture[str]) -> None:
    report = validate()
    assert report.problems == []
    assert main(["validate"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("legcheck validate: OK: interaction model en-AU (")
    for code in ("en-CA", "en-GB", "en-IN", "en-US"):
        assert f"{code} (" in out


def test_a_market_model_edited_by_hand_is_reported(tmp_path: Path) -> None:
    from skill.tools.validate import check_locale_models

    models = tmp_path / "models"
    models.mkdir()
    for path in MODELS_DIR.glob("*.json"):
        (models / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads((models / "en-GB.json").read_text(encoding="utf-8"))
    data["interactionModel"]["languageModel"]["intents"][0]["samples"].append("my {Sensation}")
    (models / "en-GB.json").write_text(json.dumps(data), encoding="utf-8")
    (models / "en-AU.json").unlink()
    problems = check_locale_models(models, OVERLAYS_DIR)
    assert any("en-GB.json: differs from en-US.json" in p for p in problems), problems
    assert any("en-AU.json: missing; run `legcheck model sync`" in p for p in problems)


# ------------------------------------------------------------------ words and carriers


def _words_problems(data: dict[str, Any]) -> list[str]:
    from skill.lexicon import read_lexicon_data
    from skill.tools.validate import check_words

    return check_words(
        sync_model_types(data, read_lexicon_data()), "m.json", read_lexicon_data(), load_knowledge()
    )


def test_carrier_words_that_mean_something_are_an_error() -> None:
    data = small_model_dict()
    intent(data, "ReportSymptomsIntent")["samples"] += [
        "my {BodyPart} are {Sensation} after my run",
        "my {BodyPart} are not {Sensation}",
    ]
    problems = _words_problems(data)
    assert any("'after my run' mean after_run" in p for p in problems), problems
    assert any("'are not' negate what follows" in p for p in problems), problems


def test_a_yes_carrier_outside_an_intent_that_restores_it_is_an_error() -> None:
    data = small_model_dict()
    intent(data, "AnswerIntent")["samples"].append("yeah in my {BodyPart}")
    problems = _words_problems(data)
    assert any("'yeah in my' answer yes" in p for p in problems), problems


def test_slots_side_by_side_are_allowed() -> None:
    """Where Alexa splits "tingly shins" between two slots does not matter: the skill reads
    the slots joined either way round (decision 0009)."""
    data = small_model_dict()
    intent(data, "ReportSymptomsIntent")["samples"].append("{Sensation} {BodyPart}")
    assert not [p for p in _words_problems(data) if "{Sensation} {BodyPart}" in p]


def test_slot_types_that_drift_from_the_lexicon_are_an_error() -> None:
    from skill.lexicon import read_lexicon_data
    from skill.tools.validate import check_words

    data = small_model_dict()
    problems = check_words(data, "m.json", read_lexicon_data(), load_knowledge())
    assert any("the slot types differ from skill/data/lexicon" in p for p in problems)
