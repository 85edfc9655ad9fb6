"""The simulator's NLU on its own: utterances in, what Alexa would send out.

The model here is small and written for the test; its value ids are real
feature ids, so other simulator tests can send what it resolves to the skill.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.errors import DataError
from skill.tools.models import words
from skill.tools.simulator.nlu import InteractionModel, Resolution
from tests.support.small_model import small_model_dict


@pytest.fixture(scope="module")
def model() -> InteractionModel:
    return InteractionModel.from_dict(small_model_dict())


def slots_of(res: Resolution) -> dict[str, str | None]:
    return {s.name: s.resolved_id for s in res.slots}


# ------------------------------------------------------------------ launching


@pytest.mark.parametrize(
    "said",
    [
        "open leg check",
        "start leg check",
        "launch leg check",
        "talk to leg check",
        "Alexa, open Leg Check.",
        "begin leg check",
        "ask leg check",
        "open the leg check",
    ],
)
def test_launch_phrases_start_a_new_session_with_a_launch_request(
    model: InteractionModel, said: str
) -> None:
    res = model.resolve(said, in_session=False)
    assert (res.request_type, res.intent, res.new_session) == ("LaunchRequest", None, True)


@pytest.mark.parametrize(
    "said,intent,slots",
    [
        (
            "ask leg check my calves are twitching",
            "ReportSymptomsIntent",
            {"BodyPart": "lower_legs", "Sensation": "twitching"},
        ),
        (
            "tell leg check that my shins are itchy",
            "ReportSymptomsIntent",
            {"BodyPart": "lower_legs", "Sensation": "itching"},
        ),
        (
            "ask leg check about pins and needles in my calves",
            "ReportSymptomsIntent",
            {"Sensation": "tingling", "BodyPart": "lower_legs"},
        ),
        ("ask leg check what do you remember about me", "PrivacyIntent", {}),
        ("ask leg check to forget my check-ins", "ForgetMeIntent", {}),
        ("ask leg check to stop remembering", "StopRememberingIntent", {}),
        ("ask leg check not to remember my check-ins", "AMAZON.FallbackIntent", {}),
        ("tell leg check don't remember my check-ins", "StopRememberingIntent", {}),
        ("tell leg check to remember my check-ins", "StartRememberingIntent", {}),
        ("ask leg check how have my legs been", "HistorySummaryIntent", {}),
        ("ask leg check for help", "AMAZON.HelpIntent", {}),
        ("open leg check and tell me what you store", "AMAZON.FallbackIntent", {}),
        (
            "my legs are itchy after my run from leg check",
            "ReportSymptomsIntent",
            {"BodyPart": "legs", "Sensation": "itching", "Timing": "after_run"},
        ),
    ],
)
def test_one_shot_phrases_send_the_intent_in_a_new_session(
    model: InteractionModel, said: str, intent: str, slots: dict[str, str]
) -> None:
    res = model.resolve(said, in_session=False)
    assert res.request_type == "IntentRequest"
    assert res.intent == intent
    assert res.new_session is True
    assert slots_of(res) == slots


def test_launch_phrase_in_a_session_starts_the_skill_afresh(model: InteractionModel) -> None:
    res = model.resolve("open leg check", in_session=True)
    assert (res.request_type, res.new_session) == ("LaunchRequest", True)


@pytest.mark.parametrize("said", ["yes", "my calves are twitching", "help", "stop"])
def test_without_a_session_or_the_invocation_name_alexa_answers_herself(
    model: InteractionModel, said: str
) -> None:
    res = model.resolve(said, in_session=False)
    assert res.request_type is None
    assert 'say "open leg check"' in res.note


# ------------------------------------------------------------------ built-ins


@pytest.mark.parametrize(
    "said,intent",
    [
        ("yes", "AMAZON.YesIntent"),
        ("yeah", "AMAZON.YesIntent"),
        ("Yep!", "AMAZON.YesIntent"),
        ("sure", "AMAZON.YesIntent"),
        ("no", "AMAZON.NoIntent"),
        ("nope", "AMAZON.NoIntent"),
        ("not really", "AMAZON.NoIntent"),
        ("help", "AMAZON.HelpIntent"),
        ("what can I say", "AMAZON.HelpIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("cancel", "AMAZON.CancelIntent"),
        ("never mind", "AMAZON.CancelIntent"),
        ("repeat", "AMAZON.RepeatIntent"),
        ("say that again", "AMAZON.RepeatIntent"),
        ("start over", "AMAZON.StartOverIntent"),
        ("go home", "AMAZON.NavigateHomeIntent"),
        ("go back to the start", "AMAZON.NavigateHomeIntent"),
        ("please help", "AMAZON.HelpIntent"),
    ],
)
def test_built_in_intents_understand_amazons_common_phrasings(
    model: InteractionModel, said: str, intent: str
) -> None:
    res = model.resolve(said, in_session=True)
    assert (res.request_type, res.intent, res.new_session) == ("IntentRequest", intent, False)


def test_a_built_in_the_model_does_not_declare_is_not_understood(model: InteractionModel) -> None:
    assert model.resolve("pause", in_session=True).intent == "AMAZON.FallbackIntent"


@pytest.mark.parametrize("said", ["exit", "quit", "Alexa, exit"])
def test_exit_ends_the_session(model: InteractionModel, said: str) -> None:
    assert model.resolve(said, in_session=True).request_type == "SessionEndedRequest"


@pytest.mark.parametrize("said", ["banana", "what's the weather like", "play some music"])
def test_words_that_match_nothing_go_to_the_fallback_intent(
    model: InteractionModel, said: str
) -> None:
    res = model.resolve(said, in_session=True)
    assert (res.request_type, res.intent) == ("IntentRequest", "AMAZON.FallbackIntent")


def test_without_a_fallback_intent_alexa_would_force_a_match(model: InteractionModel) -> None:
    data = small_model_dict()
    intents = data["interactionModel"]["languageModel"]["intents"]
    data["interactionModel"]["languageModel"]["intents"] = [
        i for i in intents if i["name"] != "AMAZON.FallbackIntent"
    ]
    res = InteractionModel.from_dict(data).resolve("banana", in_session=True)
    assert res.request_type is None
    assert "AMAZON.FallbackIntent" in res.note


# ------------------------------------------------------------------ samples and slots


def test_the_most_specific_sample_wins(model: InteractionModel) -> None:
    res = model.resolve("my feet are burning", in_session=True)
    assert res.sample == "my feet are {Sensation}"
    assert slots_of(res) == {"Sensation": "burning"}


def test_case_and_punctuation_do_not_matter(model: InteractionModel) -> None:
    res = model.resolve("MY CALVES, are... TWITCHING!!", in_session=True)
    assert res.intent == "ReportSymptomsIntent"
    assert slots_of(res) == {"BodyPart": "lower_legs", "Sensation": "twitching"}


def test_synonyms_resolve_to_the_value_id_and_canonical_name(model: InteractionModel) -> None:
    res = model.resolve("my shins are spasming", in_session=True)
    body, sensation = res.slot("BodyPart"), res.slot("Sensation")
    assert body is not None and sensation is not None
    assert (body.value, body.resolved_id, body.resolved_name) == ("shins", "lower_legs", "calves")
    assert (sensation.value, sensation.resolved_id, sensation.resolved_name) == (
        "spasming",
        "twitching",
        "twitching",
    )
    assert body.slot_type == "BODY_PART" and body.custom


def test_words_no_value_matches_are_kept_with_no_match(model: InteractionModel) -> None:
    res = model.resolve("my knees are wobbly", in_session=True)
    assert res.intent == "ReportSymptomsIntent"
    knees, wobbly = res.slot("BodyPart"), res.slot("Sensation")
    assert knees is not None and wobbly is not None
    assert (knees.value, knees.resolved_id) == ("knees", None)
    assert (wobbly.value, wobbly.resolved_id) == ("wobbly", None)


def test_slots_split_where_the_words_resolve(model: InteractionModel) -> None:
    res = model.resolve("my legs are tingling and itchy", in_session=True)
    assert res.sample == "my {BodyPart} are {Sensation} and {SecondSensation}"
    assert slots_of(res) == {
        "BodyPart": "legs",
        "Sensation": "tingling",
        "SecondSensation": "itching",
    }


def test_a_sample_of_bare_slots_takes_only_known_values(model: InteractionModel) -> None:
    assert model.resolve("twitchy", in_session=True).intent == "AnswerIntent"
    assert model.resolve("my throat is closing", in_session=True).intent == ("ReportSymptomsIntent")
    assert model.resolve("purple", in_session=True).intent == "AMAZON.FallbackIntent"


def test_bare_slots_take_unknown_words_that_share_a_word_with_their_values() -> None:
    """Alexa's slot matching is lenient: words around a known one still fill the slot."""
    data = small_model_dict()
    intents = data["interactionModel"]["languageModel"]["intents"]
    next(i for i in intents if i["name"] == "ReportSymptomsIntent")["samples"].append(
        "{Sensation} {BodyPart}"
    )
    model = InteractionModel.from_dict(data)
    res = model.resolve("sudden burning down my whole calf area", in_session=True)
    assert res.intent == "ReportSymptomsIntent"
    assert model.resolve("what is the capital of france", in_session=True).intent == (
        "AMAZON.FallbackIntent"
    )


def test_a_search_query_slot_takes_the_rest_of_the_words() -> None:
    model = InteractionModel.from_dict(small_model_dict())
    res = model.resolve("nah it comes and goes", in_session=True)
    assert res.intent == "NoDescribeIntent"
    described = res.slot("Description")
    assert described is not None and described.value == "it comes and goes"


def test_a_resolution_lists_every_slot_of_the_intent(model: InteractionModel) -> None:
    res = model.resolve("my calves are tight", in_session=True)
    assert res.slot_names == ("Sensation", "SecondSensation", "BodyPart", "Timing", "DangerSign")


def test_built_in_slot_types_are_not_resolved() -> None:
    data = small_model_dict()
    data["interactionModel"]["languageModel"]["intents"].append(
        {
            "name": "RunIntent",
            "slots": [{"name": "Miles", "type": "AMAZON.NUMBER"}],
            "samples": ["i ran {Miles} miles"],
        }
    )
    res = InteractionModel.from_dict(data).resolve("i ran five miles", in_session=True)
    miles = res.slot("Miles")
    assert miles is not None
    assert (miles.value, miles.custom, miles.resolved_id) == ("five", False, None)


def test_describe_reads_like_the_console_shows_it(model: InteractionModel) -> None:
    text = model.resolve("ask leg check my knees are twitchy", in_session=False).describe()
    assert text.startswith("IntentRequest ReportSymptomsIntent")
    assert "BodyPart='knees' (ER_SUCCESS_NO_MATCH)" in text
    assert "Sensation='twitchy'->twitching" in text
    assert "[new session]" in text


def test_words_normalise_quotes_and_punctuation() -> None:
    assert words("My calf\u2019s ON FIRE, isn't it?") == (
        "my",
        "calf's",
        "on",
        "fire",
        "isn't",
        "it",
    )


def test_load_reads_the_locale_from_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "en-GB.json"
    path.write_text(json.dumps(small_model_dict()), encoding="utf-8")
    loaded = InteractionModel.load(path)
    assert (loaded.locale, loaded.invocation_name) == ("en-GB", "leg check")


def test_load_reports_broken_json_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "en-US.json"
    path.write_text('{"interactionModel": ', encoding="utf-8")
    with pytest.raises(DataError) as err:
        InteractionModel.load(path)
    assert f"{path}:1:" in str(err.value)


def test_a_file_that_is_not_a_model_says_what_is_missing() -> None:
    with pytest.raises(DataError) as err:
        InteractionModel.from_dict({"interactionModel": {}}, source="x.json")
    assert "x.json: not an interaction model" in str(err.value)


def test_words_a_slot_value_accounts_for_beat_literal_words_with_unknown_ones(
    model: InteractionModel,
) -> None:
    # "my {BodyPart} is {Sensation}" would leave "throat" unresolved
    res = model.resolve("my throat is tight", in_session=True)
    assert res.sample == "{DangerSign}"
    assert slots_of(res) == {"DangerSign": "throat_tight"}


def test_a_bare_built_in_slot_sample_takes_its_words() -> None:
    data = small_model_dict()
    data["interactionModel"]["languageModel"]["intents"].append(
        {
            "name": "MilesIntent",
            "slots": [{"name": "Miles", "type": "AMAZON.NUMBER"}],
            "samples": ["{Miles}"],
        }
    )
    res = InteractionModel.from_dict(data).resolve("five", in_session=True)
    assert res.intent == "MilesIntent"


def test_load_says_when_the_model_is_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="en-US.json: the interaction model is missing"):
        InteractionModel.load(tmp_path / "en-US.json")
