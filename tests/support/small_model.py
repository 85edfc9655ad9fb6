"""A small interaction model written for the tests.

Its value ids are real feature ids, so what the simulator's NLU resolves with it can be sent
to the skill.
"""

from __future__ import annotations

from typing import Any

BUILTINS = [
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.StartOverIntent",
]


def small_model_dict() -> dict[str, Any]:
    """A compact Leg Check model: enough intents, slots and synonyms to talk to the skill."""
    symptom_slots = [
        {"name": "Sensation", "type": "SENSATION"},
        {"name": "SecondSensation", "type": "SENSATION"},
        {"name": "BodyPart", "type": "BODY_PART"},
        {"name": "Timing", "type": "TIMING"},
        {"name": "DangerSign", "type": "DANGER_SIGN"},
    ]
    intents: list[dict[str, Any]] = [
        {
            "name": "ReportSymptomsIntent",
            "slots": symptom_slots,
            "samples": [
                "my {BodyPart} are {Sensation}",
                "my {BodyPart} is {Sensation}",
                "my {BodyPart} are {Sensation} {Timing}",
                "my {BodyPart} are {Sensation} and {SecondSensation}",
                "my feet are {Sensation}",
                "{Sensation} in my {BodyPart}",
                "{DangerSign}",
            ],
        },
        {
            "name": "AnswerIntent",
            "slots": [
                {"name": "Sensation", "type": "SENSATION"},
                {"name": "BodyPart", "type": "BODY_PART"},
            ],
            "samples": ["{Sensation}", "it's {Sensation}", "in my {BodyPart}"],
        },
        *(
            {
                "name": name,
                "slots": [{"name": "Description", "type": "AMAZON.SearchQuery"}],
                "samples": [sample],
            }
            for name, sample in (
                ("DescribeIntent", "so {Description}"),
                ("YesDescribeIntent", "yeah {Description}"),
                ("NoDescribeIntent", "nah {Description}"),
                ("NotDescribeIntent", "it isn't {Description}"),
                ("UnsureDescribeIntent", "dunno {Description}"),
            )
        ),
        {
            "name": "PrivacyIntent",
            "samples": ["what do you remember about me", "what do you store"],
        },
        {"name": "ForgetMeIntent", "samples": ["forget my check ins", "delete my data"]},
        {
            "name": "StopRememberingIntent",
            "samples": ["stop remembering", "don't remember my check ins"],
        },
        {
            "name": "StartRememberingIntent",
            "samples": ["start remembering", "remember my check ins"],
        },
        {
            "name": "HistorySummaryIntent",
            "samples": ["how have my legs been", "summarize my check ins"],
        },
        {"name": "OutOfScopeIntent", "samples": ["how far did i run", "set a timer"]},
        *({"name": name, "samples": []} for name in BUILTINS),
    ]
    intents[-3]["samples"] = ["go back to the start"]  # NavigateHome gets one of its own

    def value(vid: str, name: str, *synonyms: str) -> dict[str, Any]:
        return {"id": vid, "name": {"value": name, "synonyms": list(synonyms)}}

    types = [
        {
            "name": "SENSATION",
            "values": [
                value("twitching", "twitching", "twitchy", "spasming"),
                value("itching", "itchy", "itching", "itch"),
                value("tingling", "tingling", "tingly", "pins and needles"),
                value("burning", "burning", "on fire"),
                value("tightness", "tight", "tightness"),
                value("ache", "aching", "achy", "sore"),
            ],
        },
        {
            "name": "BODY_PART",
            "values": [
                value("lower_legs", "calves", "shins", "lower legs", "calf"),
                value("legs", "legs", "leg"),
                value("feet", "feet", "foot"),
                value("between_toes", "between my toes", "toes"),
            ],
        },
        {"name": "TIMING", "values": [value("after_run", "after my run", "after running")]},
        {
            "name": "DANGER_SIGN",
            "values": [
                value("throat_tight", "my throat is closing", "my throat is tight"),
                value("chest_pain", "chest pain", "my chest hurts"),
            ],
        },
    ]
    return {
        "interactionModel": {
            "languageModel": {"invocationName": "leg check", "intents": intents, "types": types}
        }
    }
