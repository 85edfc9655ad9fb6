"""The JSON Schema of Alexa's response format: what it takes, what it refuses, and its checker."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.support.alexa_response import (
    RESPONSE_SCHEMA_PATH,
    reply_problems,
    response_problems,
    validator,
)


def full_response() -> dict[str, Any]:
    """A response using every part the reference documents (values are our own)."""
    return {
        "version": "1.0",
        "sessionAttributes": {"pending": "lasts_days", "answers": {"itching": True}},
        "userAgent": "ask-python/1.19.0 Python/3.11.7",
        "response": {
            "outputSpeech": {
                "type": "PlainText",
                "text": "Has it lasted a day or more?",
                "playBehavior": "REPLACE_ENQUEUED",
            },
            "card": {
                "type": "Standard",
                "title": "Leg Check",
                "text": "Cool down gently.",
                "image": {
                    "smallImageUrl": "https://example.org/small.png",
                    "largeImageUrl": "https://example.org/large.png",
                },
            },
            "reprompt": {
                "outputSpeech": {
                    "type": "SSML",
                    "ssml": "<speak>Just say yes or no.</speak>",
                    "playBehavior": "ENQUEUE",
                }
            },
            "directives": [{"type": "Dialog.ElicitSlot", "slotToElicit": "Timing"}],
            "shouldEndSession": False,
        },
    }


VALID: dict[str, dict[str, Any]] = {
    "every part": full_response(),
    "nothing to say": {"version": "1.0", "response": {}},
    "session end, SDK style": {
        "version": "1.0",
        "response": {},
        "sessionAttributes": {},
        "userAgent": "ask-python/1.19.0 Python/3.11.7",
    },
    "simple card": {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": "<speak>Done.</speak>"},
            "card": {"type": "Simple", "title": "Leg Check", "content": "Line one\nLine two"},
            "shouldEndSession": True,
        },
    },
    "link account card": {"version": "1.0", "response": {"card": {"type": "LinkAccount"}}},
    "permissions card": {
        "version": "1.0",
        "response": {
            "card": {
                "type": "AskForPermissionsConsent",
                "permissions": ["read::alexa:device:all:address"],
            }
        },
    },
    "end left to the device": {"version": "1.0", "response": {"shouldEndSession": None}},
    "speech at the limit": {
        "version": "1.0",
        "response": {"outputSpeech": {"type": "PlainText", "text": "a" * 8000}},
    },
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_documented_responses_are_valid(name: str) -> None:
    assert response_problems(VALID[name]) == []


def broken(change: str) -> dict[str, Any]:
    body = full_response()
    response = body["response"]
    if change == "no version":
        del body["version"]
    elif change == "version 2.0":
        body["version"] = "2.0"
    elif change == "no response":
        del body["response"]
    elif change == "unknown top-level property":
        body["session"] = {}
    elif change == "attributes not an object":
        body["sessionAttributes"] = ["pending"]
    elif change == "unknown response property":
        response["speech"] = "hello"
    elif change == "speech type unknown":
        response["outputSpeech"] = {"type": "Whisper", "text": "hi"}
    elif change == "text and ssml both":
        response["outputSpeech"] = {"type": "PlainText", "text": "hi", "ssml": "<speak>hi</speak>"}
    elif change == "SSML type with text":
        response["outputSpeech"] = {"type": "SSML", "text": "hi"}
    elif change == "SSML without speak":
        response["outputSpeech"] = {"type": "SSML", "ssml": "hello"}
    elif change == "speech over 8000":
        response["outputSpeech"] = {"type": "PlainText", "text": "a" * 8001}
    elif change == "play behaviour unknown":
        response["outputSpeech"]["playBehavior"] = "INTERRUPT"
    elif change == "simple card with text":
        response["card"] = {"type": "Simple", "title": "t", "text": "Standard's field"}
    elif change == "standard card with content":
        response["card"] = {"type": "Standard", "title": "t", "content": "Simple's field"}
    elif change == "image over http":
        response["card"]["image"]["smallImageUrl"] = "http://example.org/small.png"
    elif change == "link account card with a title":
        response["card"] = {"type": "LinkAccount", "title": "Link"}
    elif change == "permissions card without permissions":
        response["card"] = {"type": "AskForPermissionsConsent"}
    elif change == "card type unknown":
        response["card"] = {"type": "Fancy"}
    elif change == "reprompt without an object":
        response["reprompt"] = "Say yes or no."
    elif change == "should end session a string":
        response["shouldEndSession"] = "yes"
    elif change == "directives not a list":
        response["directives"] = {"type": "Dialog.Delegate"}
    elif change == "directive without type":
        response["directives"] = [{"slotToElicit": "Timing"}]
    elif change == "card text over 8000 together":
        response["card"] = {"type": "Simple", "title": "t" * 4000, "content": "c" * 4001}
    elif change == "NUL in speech":
        response["outputSpeech"] = {"type": "PlainText", "text": "a\x00b"}
    elif change == "over 24,000 bytes":
        body["sessionAttributes"] = {"a": "x" * 12000, "b": "y" * 4000}
        response["outputSpeech"] = {"type": "PlainText", "text": "z" * 8000}
    else:  # pragma: no cover
        raise AssertionError(change)
    return body


BROKEN = [
    "no version",
    "version 2.0",
    "no response",
    "unknown top-level property",
    "attributes not an object",
    "unknown response property",
    "speech type unknown",
    "text and ssml both",
    "SSML type with text",
    "SSML without speak",
    "speech over 8000",
    "play behaviour unknown",
    "simple card with text",
    "standard card with content",
    "image over http",
    "link account card with a title",
    "permissions card without permissions",
    "card type unknown",
    "reprompt without an object",
    "should end session a string",
    "directives not a list",
    "directive without type",
    "card text over 8000 together",
    "NUL in speech",
    "over 24,000 bytes",
]


@pytest.mark.parametrize("change", BROKEN)
def test_what_alexa_refuses_is_found(change: str) -> None:
    assert response_problems(broken(change)), change


def test_every_property_has_a_plain_english_description() -> None:
    schema = json.loads(RESPONSE_SCHEMA_PATH.read_text(encoding="utf-8"))
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if not isinstance(child, dict) or not child.get("description"):
                    missing.append(f"{where}/properties/{name}")
            for key, child in node.items():
                walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}/{index}")

    walk(schema, "#")
    # oneOf branches restate a property only to pin its value; their descriptions are the
    # branch's own, so only top-level definitions of each property must carry one.
    assert [m for m in missing if "/oneOf/" not in m] == []
    assert schema["description"] and all(d.get("description") for d in schema["$defs"].values())


def test_the_schema_is_valid_draft_2020_12() -> None:
    assert validator().schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_reply_checker_holds_every_answer_to_the_standard() -> None:
    good = json.dumps(full_response()).encode()
    assert reply_problems(200, good, "application/json", skill_route=True) == []
    assert (
        reply_problems(400, b'{"error": "expected a string"}', "application/json", skill_route=True)
        == []
    )
    assert reply_problems(500, b"{}", "application/json", skill_route=True)
    assert reply_problems(502, b"", None, skill_route=False)
    assert reply_problems(400, b"<html>", "text/html", skill_route=True)
    assert reply_problems(400, b'{"error": "two\\nlines"}', "application/json", skill_route=True)
    assert reply_problems(200, good, "text/html", skill_route=True)
    assert reply_problems(200, b"not json", "application/json", skill_route=True)
    invalid = copy.deepcopy(full_response())
    del invalid["version"]
    assert reply_problems(200, json.dumps(invalid).encode(), "application/json", skill_route=True)
    assert reply_problems(200, b"ok", "text/plain", skill_route=False) == []  # not the skill
