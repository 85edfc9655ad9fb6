"""The interaction models, parametrized over the data itself.

Every ``interaction_model/*.json`` (one file per locale; the schema folder is
not a model) is checked against the JSON Schema of Amazon's format, against
Amazon's rules for invocation names, sample utterances and slot types (see
/work/shared/ALEXA-FACTS.md and the Alexa Skills Kit documentation), and
against the skill: every slot value id is a feature of the knowledge base,
every cause and danger sign can be reached by voice, every intent has a
handler. The test ids name the file, intent, slot type, cause or danger sign,
so a new locale file, intent, sample or slot value is checked without writing
a new test, and a failure lists every offending item at once.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from skill.knowledge import load_knowledge
from skill.tools.models import MODEL_SCHEMA_PATH, MODELS_DIR, SLOT_RE
from skill.tools.validate import REQUIRED_BUILTINS, SKILL_BUILTINS, check_sample, sample_key
from skill.triage import assess
from tests.support.schema_fields import schema_properties

SCHEMA: dict[str, Any] = json.loads(MODEL_SCHEMA_PATH.read_text(encoding="utf-8"))
MODEL_FILES = sorted(MODELS_DIR.glob("*.json"))  # not recursive: the schema folder is skipped
MODELS: dict[str, dict[str, Any]] = {
    p.name: json.loads(p.read_text(encoding="utf-8")) for p in MODEL_FILES
}
KB = load_knowledge()

# Amazon's invocation name requirements ("Choose the Invocation Name for a Custom Skill").
LAUNCH_WORDS = frozenset(
    {
        "ask",
        "begin",
        "enable",
        "launch",
        "load",
        "open",
        "play",
        "resume",
        "run",
        "start",
        "talk",
        "tell",
        "use",
    }
)
CONNECTING_WORDS = frozenset({"about", "and", "by", "from", "if", "to", "using", "whether", "with"})
WAKE_WORDS = frozenset({"alexa", "amazon", "echo", "computer", "skill", "app"})
NOT_IN_TWO_WORD_NAMES = frozenset({"the", "a", "an", "for", "to", "of"})

# Leg Check's own intents and slots (every locale has the same, since the handlers are shared).
CUSTOM_INTENTS = frozenset(
    {
        "ReportSymptomsIntent",
        "AnswerIntent",
        "ForgetMeIntent",
        "PrivacyIntent",
        "DescribeIntent",
        "YesDescribeIntent",
        "NoDescribeIntent",
        "NotDescribeIntent",
        "UnsureDescribeIntent",
        "StopRememberingIntent",
        "StartRememberingIntent",
        "HistorySummaryIntent",
        "OutOfScopeIntent",
    }
)
SYMPTOM_SLOTS = {
    "Sensation": "SENSATION",
    "SecondSensation": "SENSATION",
    "BodyPart": "BODY_PART",
    "Timing": "TIMING",
    "Modifier": "MODIFIER",
    "DangerSign": "DANGER_SIGN",
}
MIN_SAMPLES = {
    "ReportSymptomsIntent": 60,
    "AnswerIntent": 30,
    "ForgetMeIntent": 15,
    "PrivacyIntent": 15,
    "DescribeIntent": 40,
    "YesDescribeIntent": 15,
    "NoDescribeIntent": 6,
    "NotDescribeIntent": 15,
    "UnsureDescribeIntent": 6,
}
# Leg Check's slot types and their value ids, the same in every locale.
TYPE_VALUES = {
    "SENSATION": {
        "tingling",
        "itching",
        "numbness",
        "burning",
        "twitching",
        "spasm",
        "cramp",
        "ache",
        "pain",
        "tightness",
        "swelling",
        "hives",
        "warmth",
        "redness",
        "weakness",
    },
    "BODY_PART": {
        "legs",
        "thighs",
        "lower_legs",
        "feet",
        "toes",
        "between_toes",
        "ball_of_foot",
        "one_leg",
        "both_legs",
        "chest",
        "face",
        "throat",
        "arm",
        "one_side",
        "groin",
        "joint",
    },
    "TIMING": {
        "during_run",
        "after_run",
        "soon_after_start",
        "lasts_days",
        "comes_and_goes",
        "fades_after_cooldown",
        "next_day",
        "only_after_run",
    },
    "MODIFIER": {
        "worse_as_run_goes_on",
        "cant_walk",
        "pain",
        "shoots_up_leg",
        "keeps_coming_back",
        "flexible_feet",
    },
    "DANGER_SIGN": {
        "throat_tight",
        "breathing_trouble",
        "face_swelling",
        "chest_pain",
        "one_side_weakness",
        "bladder_bowel",
        "calf_hot_swollen",
        "confusion",
        "collapsed",
        "dark_urine",
        "heat_stroke_signs",
        "heat_exhaustion_signs",
        "water_overload_signs",
        "palpitations_dizzy",
    },
}
MIN_SYNONYMS = 5
# Which knowledge category each custom slot type's values come from.
TYPE_CATEGORY = {
    "SENSATION": {"sensation"},
    "BODY_PART": {"place"},
    "TIMING": {"timing"},
    "MODIFIER": {"modifier", "sensation"},
    "DANGER_SIGN": {"danger"},
}

# A spoken word: lower-case letters, with in-word apostrophes (contractions and
# possessives: "i've", "can't", "runner's"), a plural possessive ("runners'"), or a
# letter with a period, as in a spoken abbreviation ("a. b. c.").
SPOKEN_WORD_RE = re.compile(r"^(?:[a-z]+(?:'[a-z]+)*|[a-z]+s'|[a-z]\.)$")
INVOCATION_RE = re.compile(r"^[a-z][a-z '.]*$")


# ------------------------------------------------------------------ the data, as test cases


def language_model(file: str) -> dict[str, Any]:
    data: dict[str, Any] = MODELS[file]["interactionModel"]["languageModel"]
    return data


def intents_of(file: str) -> list[dict[str, Any]]:
    return list(language_model(file).get("intents", []))


def types_of(file: str) -> list[dict[str, Any]]:
    return list(language_model(file).get("types", []))


def slot_types(intent: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["type"] for s in intent.get("slots", [])}


def value_ids(file: str) -> set[str]:
    return {v["id"] for t in types_of(file) for v in t["values"] if "id" in v}


def phrases(value: dict[str, Any]) -> list[str]:
    return [value["name"]["value"], *value["name"].get("synonyms", [])]


def spoken(text: str) -> str:
    """How Alexa compares phrases: lower case, words separated by single spaces."""
    return " ".join(text.lower().split())


INTENT_CASES = [
    pytest.param(f, i["name"], id=f"{f}:{i['name']}") for f in MODELS for i in intents_of(f)
]
TYPE_CASES = [
    pytest.param(f, t["name"], id=f"{f}:{t['name']}") for f in MODELS for t in types_of(f)
]
CAUSE_CASES = [pytest.param(f, c, id=f"{f}:{c.id}") for f in MODELS for c in KB.causes]
DANGER_CASES = [pytest.param(f, d, id=f"{f}:{d.id}") for f in MODELS for d in KB.danger_signs]


def intent_named(file: str, name: str) -> dict[str, Any]:
    return next(i for i in intents_of(file) if i["name"] == name)


def type_named(file: str, name: str) -> dict[str, Any]:
    return next(t for t in types_of(file) if t["name"] == name)


# ------------------------------------------------------------------ the schema itself


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_every_property_in_the_schema_has_a_plain_english_description() -> None:
    bare = [
        path
        for path, sub in schema_properties(SCHEMA)
        if not (isinstance(sub, dict) and str(sub.get("description", "")).strip())
    ]
    bare += [
        f"$.$defs.{name}"
        for name, sub in SCHEMA["$defs"].items()
        if not str(sub.get("description", "")).strip()
    ]
    assert bare == [], "properties without a description:\n" + "\n".join(bare)


def test_the_schema_accepts_a_dialog_model_and_rejects_a_broken_model() -> None:
    validator = Draft202012Validator(SCHEMA)
    good = {
        "interactionModel": {
            "languageModel": {
                "invocationName": "plan my trip",
                "intents": [
                    {
                        "name": "PlanMyTripIntent",
                        "slots": [
                            {"name": "toCity", "type": "AMAZON.US_CITY", "samples": ["to {toCity}"]}
                        ],
                        "samples": ["plan a trip to {toCity}"],
                    },
                    {"name": "AMAZON.HelpIntent", "samples": []},
                ],
                "modelConfiguration": {"fallbackIntentSensitivity": {"level": "LOW"}},
            },
            "dialog": {
                "delegationStrategy": "ALWAYS",
                "intents": [
                    {
                        "name": "PlanMyTripIntent",
                        "confirmationRequired": False,
                        "prompts": {},
                        "slots": [
                            {
                                "name": "toCity",
                                "type": "AMAZON.US_CITY",
                                "elicitationRequired": True,
                                "confirmationRequired": False,
                                "prompts": {"elicitation": "Elicit.Slot.1"},
                            }
                        ],
                    }
                ],
            },
            "prompts": [
                {"id": "Elicit.Slot.1", "variations": [{"type": "PlainText", "value": "Where to?"}]}
            ],
        }
    }
    assert [e.message for e in validator.iter_errors(good)] == []
    bad = {
        "interactionModel": {
            "languageModel": {
                "invocationName": "Leg Check",
                "intents": [{"name": "Report Symptoms", "samples": "my legs"}],
                "types": [{"name": "SENSATION", "values": [{"id": "tingling"}]}],
            }
        }
    }
    places = sorted("/".join(map(str, e.absolute_path)) for e in validator.iter_errors(bad))
    assert places == [
        "interactionModel/languageModel/intents/0/name",
        "interactionModel/languageModel/intents/0/samples",
        "interactionModel/languageModel/invocationName",
        "interactionModel/languageModel/types/0/values/0",
    ]


# ------------------------------------------------------------------ each model file


def test_there_is_an_en_us_model_invoked_as_leg_check() -> None:
    assert "en-US.json" in MODELS
    assert language_model("en-US.json")["invocationName"] == "leg check"


@pytest.mark.parametrize("file", MODELS)
def test_model_validates_against_the_schema(file: str) -> None:
    validator = Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(MODELS[file]), key=lambda e: list(map(str, e.path)))
    listed = [f"{file}:$/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    assert listed == [], f"{len(listed)} schema errors:\n" + "\n".join(listed)


@pytest.mark.parametrize("file", MODELS)
def test_invocation_name_follows_amazons_rules(file: str) -> None:
    name = language_model(file)["invocationName"]
    problems = []
    if not INVOCATION_RE.match(name):
        problems.append("only lower-case letters, spaces, apostrophes and periods")
    said = name.split()
    bad_words = [w for w in said if not SPOKEN_WORD_RE.match(w)]
    if bad_words:
        problems.append(f"apostrophes only possessive, periods only in abbreviations: {bad_words}")
    if len(said) < 2:
        problems.append("two words or more")
    for word in said:
        bare = word.split("'")[0].rstrip(".")
        for banned, kind in (
            (LAUNCH_WORDS, "launch word"),
            (CONNECTING_WORDS, "connecting word"),
            (WAKE_WORDS, "wake word"),
        ):
            if bare in banned:
                problems.append(f"no {kind}: {bare!r}")
    if len(said) == 2 and NOT_IN_TWO_WORD_NAMES.intersection(said):
        problems.append("a two-word name has no article, 'for', 'to' or 'of'")
    assert problems == [], f"{name!r}: " + "; ".join(problems)


@pytest.mark.parametrize("file", MODELS)
def test_model_has_leg_checks_intents_and_the_required_built_ins(file: str) -> None:
    names = [i["name"] for i in intents_of(file)]
    assert len(names) == len(set(names)), f"intents listed twice: {names}"
    custom = {n for n in names if not n.startswith("AMAZON.")}
    assert custom == CUSTOM_INTENTS
    # the built-ins Amazon requires, and the fallback Leg Check relies on for words that
    # match nothing
    assert [n for n in (*REQUIRED_BUILTINS, *SKILL_BUILTINS) if n not in names] == []
    for name in ("ReportSymptomsIntent", "AnswerIntent"):
        assert slot_types(intent_named(file, name)) == SYMPTOM_SLOTS, name
    for name in (
        "ForgetMeIntent",
        "PrivacyIntent",
        "StopRememberingIntent",
        "StartRememberingIntent",
        "HistorySummaryIntent",
    ):
        assert intent_named(file, name).get("slots", []) == [], name


@pytest.mark.parametrize("file", MODELS)
def test_every_intent_has_a_handler_and_every_handler_an_intent(file: str) -> None:
    from skill.handlers import HANDLED_INTENTS  # written by another engineer

    names = {i["name"] for i in intents_of(file)}
    assert sorted(names - HANDLED_INTENTS) == [], "intents no handler takes"
    assert sorted(HANDLED_INTENTS - names) == [], "handled intents the model never sends"


# ------------------------------------------------------------------ sample utterances


@pytest.mark.parametrize(("file", "name"), INTENT_CASES)
def test_samples_follow_amazons_rules(file: str, name: str) -> None:
    intent = intent_named(file, name)
    slots = slot_types(intent)
    samples = intent.get("samples", [])
    problems = [p for s in samples for p in check_sample(s, slots, name)]
    seen: set[str] = set()
    for sample in samples:
        if spoken(sample) in seen:
            problems.append(f"{sample!r}: listed twice")
        seen.add(spoken(sample))
    used = {m.group(1) for s in samples for m in SLOT_RE.finditer(s)}
    problems += [
        f"slot {s!r} is never used in a sample, so it is never filled"
        for s in slots
        if s not in used
    ]
    assert problems == [], f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("file", "name"), INTENT_CASES)
def test_custom_intents_have_plenty_of_samples(file: str, name: str) -> None:
    samples = intent_named(file, name).get("samples", [])
    if name == "AMAZON.FallbackIntent":
        assert samples == [], "the fallback intent is matched by what matches nothing else"
    elif not name.startswith("AMAZON."):
        assert len(samples) >= MIN_SAMPLES.get(name, 10), (name, len(samples))


@pytest.mark.parametrize("file", MODELS)
def test_no_sample_is_in_two_intents(file: str) -> None:
    """Amazon rejects a model where two intents share a sample; slots compare by type."""
    owners: dict[str, set[str]] = defaultdict(set)
    for intent in intents_of(file):
        for sample in intent.get("samples", []):
            owners[sample_key(sample, slot_types(intent))].add(intent["name"])
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert shared == {}, "samples in two intents:\n" + "\n".join(
        f"{k!r}: {v}" for k, v in sorted(shared.items())
    )


# ------------------------------------------------------------------ slot types and values


@pytest.mark.parametrize("file", MODELS)
def test_every_slot_type_is_defined_and_every_custom_type_is_used(file: str) -> None:
    defined = [t["name"] for t in types_of(file)]
    assert len(defined) == len(set(defined)), f"types defined twice: {defined}"
    used = {s["type"] for i in intents_of(file) for s in i.get("slots", [])}
    assert sorted(t for t in used if not t.startswith("AMAZON.") and t not in defined) == []
    assert sorted(t for t in defined if t not in used) == [], "custom types no slot uses"


@pytest.mark.parametrize("file", MODELS)
def test_model_has_leg_checks_slot_types_and_values(file: str) -> None:
    found = {t["name"]: {v.get("id") for v in t["values"]} for t in types_of(file)}
    assert found == TYPE_VALUES


@pytest.mark.parametrize(("file", "name"), TYPE_CASES)
def test_every_value_has_several_synonyms(file: str, name: str) -> None:
    few = {
        v["id"]: v["name"].get("synonyms", [])
        for v in type_named(file, name)["values"]
        if len(v["name"].get("synonyms", [])) < MIN_SYNONYMS
    }
    assert few == {}, f"{name}: values with fewer than {MIN_SYNONYMS} synonyms"


@pytest.mark.parametrize(("file", "name"), TYPE_CASES)
def test_no_phrase_names_two_values_of_a_type(file: str, name: str) -> None:
    owner: dict[str, str] = {}
    problems = []
    ids = [str(v.get("id")) for v in type_named(file, name)["values"]]
    problems += [
        f"value id {i!r} listed twice" for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    for value in type_named(file, name)["values"]:
        for phrase in phrases(value):
            said = spoken(phrase)
            if said in owner:
                problems.append(
                    f"{phrase!r} is given to {owner[said]!r} and to {value['id']!r}"
                    if owner[said] != value["id"]
                    else f"{phrase!r} is listed twice for {value['id']!r}"
                )
            owner.setdefault(said, value["id"])
            bad = [w for w in phrase.split() if not SPOKEN_WORD_RE.match(w)]
            if bad or phrase != said:
                problems.append(f"{phrase!r}: spoken words only, lower case ({bad})")
    assert problems == [], f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("file", "name"), TYPE_CASES)
def test_every_slot_value_id_is_a_feature_of_the_knowledge_base(file: str, name: str) -> None:
    problems = []
    for value in type_named(file, name)["values"]:
        vid = value.get("id")
        feature = KB.features.get(str(vid))
        if feature is None:
            problems.append(f"{vid!r} ({value['name']['value']!r}) is not a feature id")
        elif name in TYPE_CATEGORY and feature.category not in TYPE_CATEGORY[name]:
            problems.append(
                f"{vid!r} is a {feature.category} feature, not one of {sorted(TYPE_CATEGORY[name])}"
            )
    assert problems == [], f"{name}:\n" + "\n".join(problems)


# ------------------------------------------------------------------ reach: the knowledge by voice


@pytest.mark.parametrize(("file", "cause"), CAUSE_CASES)
def test_every_cause_can_rank_first_from_what_a_runner_can_say_or_be_asked(
    file: str, cause: Any
) -> None:
    sayable = value_ids(file)
    answers = {
        ev.feature: True
        for ev in cause.evidence
        if ev.present > 0 and (ev.feature in sayable or KB.features[ev.feature].question)
    }
    result = assess(answers)
    ranking = [(c.id, c.score) for c in result.causes]
    assert result.top.id == cause.id, (
        f"with {sorted(answers)}, {cause.id!r} does not rank first: {ranking}"
    )


@pytest.mark.parametrize(("file", "sign"), DANGER_CASES)
def test_every_danger_sign_can_be_heard(file: str, sign: Any) -> None:
    heard = [f for f in sign.any_features if f in value_ids(file)]
    assert heard or sign.screen_question is not None, (
        f"{sign.id!r}: none of {list(sign.any_features)} is a slot value id and there is no "
        "screen question"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("file", "sign"), DANGER_CASES)
def test_each_danger_phrase_said_alone_raises_its_danger_sign(file: str, sign: Any) -> None:
    """Through the skill's NLU simulator and the skill: every word for a danger value, said
    on its own mid-dialog, gets that danger sign's advice at once."""
    from skill.strings import strings_for
    from skill.tools.simulator.corpus import new_conversation
    from skill.tools.simulator.nlu import InteractionModel  # written by another engineer

    model = InteractionModel.from_dict(MODELS[file], Path(file).stem)
    strings = strings_for(model.locale)
    conversation = new_conversation(model)
    missed = []
    for slot_type in types_of(file):
        for value in slot_type["values"]:
            if slot_type["name"] != "DANGER_SIGN" or value["id"] not in sign.any_features:
                continue
            for words in phrases(value):
                conversation.end_session()
                conversation.say(f"open {model.invocation_name}")
                conversation.say("my legs are tingling")
                turn = conversation.say(words)
                if strings.danger(sign.id) not in turn.speech:
                    missed.append(f"{words!r} -> {turn.resolution.describe()}: {turn.speech}")
    assert missed == [], f"{sign.id}:\n" + "\n".join(missed)


# ------------------------------------------------------------------ opting in and out

MEMORY_PHRASES = [
    # asking not to be remembered must never be heard as asking to be remembered
    ("don't remember my check-ins", "StopRememberingIntent"),
    ("please don't save my check-ins", "StopRememberingIntent"),
    ("do not keep my check-ins", "StopRememberingIntent"),
    ("I don't want you to remember my check-ins", "StopRememberingIntent"),
    ("stop keeping track of my check-ins", "StopRememberingIntent"),
    ("never remember my check-ins", "StopRememberingIntent"),
    ("start remembering my check-ins", "StartRememberingIntent"),
    ("you can remember my check-ins", "StartRememberingIntent"),
    ("keep track of my check-ins", "StartRememberingIntent"),
    ("please save my check-ins", "StartRememberingIntent"),
]


@pytest.mark.slow
@pytest.mark.parametrize("file", MODELS)
@pytest.mark.parametrize(("words", "intent"), MEMORY_PHRASES)
def test_opting_in_and_out_are_never_confused(file: str, words: str, intent: str) -> None:
    from skill.tools.simulator.nlu import InteractionModel  # written by another engineer

    model = InteractionModel.from_dict(MODELS[file], Path(file).stem)
    for said, in_session in ((f"ask {model.invocation_name} {words}", False), (words, True)):
        assert model.resolve(said, in_session=in_session).intent == intent, said


@pytest.mark.parametrize("file", MODELS)
@pytest.mark.parametrize("words", ["walking's okay", "walking's fine", "my walking's fine"])
def test_a_word_with_s_on_it_is_still_that_word(file: str, words: str) -> None:
    """ "walking's okay" mid-question reaches the skill with its words, as "walking is okay"
    does, instead of the fallback."""
    from skill.tools.simulator.nlu import InteractionModel  # written by another engineer

    model = InteractionModel.from_dict(MODELS[file], Path(file).stem)
    resolution = model.resolve(words, in_session=True)
    assert resolution.intent != "AMAZON.FallbackIntent", resolution.describe()
    heard = " ".join(s.value for s in resolution.slots if s.value)
    assert "walking" in heard, resolution.describe()
