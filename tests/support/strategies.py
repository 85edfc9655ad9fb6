"""Hypothesis strategies for what Alexa sends: envelopes of every request type, intent and
slot shape, session state a conversation can hold, unknown properties Alexa may add, and any
JSON value.

The envelope strategies keep to what the handlers are known to survive (see
``tests/test_web_properties.py``, which holds every answer to them to Alexa's standard).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from skill.handlers import HANDLED_INTENTS
from skill.knowledge import load_knowledge
from tests.support.certs import SKILL_ID
from tests.support.runner import SLOT_TYPES

FEATURES = sorted(load_knowledge().features)
"""Every feature id the knowledge file defines: a new one is generated without an edit."""
# The features the skill asks about: the only values ``pending`` can hold in a real session.
QUESTIONS = sorted(fid for fid, feature in load_knowledge().features.items() if feature.question)
# Every intent a handler takes (a new one is covered without editing this), and some none does.
INTENTS = [*sorted(HANDLED_INTENTS), "AMAZON.PauseIntent", "SomeoneElsesIntent"]
OTHER_REQUEST_TYPES = [
    "CanFulfillIntentRequest",
    "Display.ElementSelected",
    "AudioPlayer.PlaybackStopped",
    "System.ExceptionEncountered",
    "SessionResumedRequest",
    "Connections.Response",
]

# Text a person could say or a skill could store: no control characters, no lone surrogates.
speakable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


# -- envelopes ------------------------------------------------------------------------------------


@st.composite
def session_state(draw: st.DrawFn) -> dict[str, Any]:
    """Session attributes of the shapes the skill writes, plus unknown keys of any JSON."""
    state: dict[str, Any] = {}
    if draw(st.booleans()):
        state["answers"] = draw(
            st.dictionaries(
                st.sampled_from(FEATURES + ["unknown_feature"]), st.booleans(), max_size=6
            )
        )
    if draw(st.booleans()):
        state["asked"] = draw(st.lists(st.sampled_from(FEATURES), max_size=5))
    if draw(st.booleans()):
        state["pending"] = draw(st.none() | st.sampled_from(QUESTIONS))
    if draw(st.booleans()):
        state["forget"] = draw(st.booleans())
    if draw(st.booleans()):
        state["tries"] = draw(st.integers(0, 20))
    if draw(st.booleans()):
        speech = draw(st.lists(speakable.filter(bool), min_size=1, max_size=3))
        state["last"] = {
            "speech": speech,
            "reprompt": draw(st.lists(speakable.filter(bool), max_size=2)),
        }
    state.update(
        draw(
            st.dictionaries(
                st.text(max_size=10).filter(lambda k: k not in state), json_values, max_size=3
            )
        )
    )
    return state


@st.composite
def slot(draw: st.DrawFn, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if draw(st.integers(0, 4)) == 0:
        return out  # an empty slot, as Alexa lists every slot of the intent
    words = draw(speakable.filter(lambda w: w.strip() != ""))
    out.update(value=words, source="USER")
    kind = draw(st.sampled_from(["match", "no match", "none", "two authorities"]))
    authority = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{SLOT_TYPES[name]}"
    ids = st.sampled_from(FEATURES) | st.text(max_size=12)
    match = {
        "authority": authority,
        "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [
            {"value": {"name": words, "id": draw(ids)}} for _ in range(draw(st.integers(1, 2)))
        ],
    }
    no_match = {
        "authority": authority,
        "status": {
            "code": draw(
                st.sampled_from(["ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT", "ER_ERROR_EXCEPTION"])
            )
        },
    }
    if kind == "match":
        out["resolutions"] = {"resolutionsPerAuthority": [match]}
    elif kind == "no match":
        out["resolutions"] = {"resolutionsPerAuthority": [no_match]}
    elif kind == "two authorities":
        out["resolutions"] = {"resolutionsPerAuthority": [no_match, match]}
    return out


@st.composite
def request_body(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "LaunchRequest",
                "IntentRequest",
                "IntentRequest",
                "IntentRequest",
                "SessionEndedRequest",
                "other",
            ]
        )
    )
    request: dict[str, Any] = {
        "type": kind,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": (now + timedelta(seconds=draw(st.integers(-100, 100)))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "locale": draw(st.sampled_from(["en-US", "en-US", "en-GB", "de-DE", "xx-XX"])),
    }
    if kind == "other":
        request["type"] = draw(st.sampled_from(OTHER_REQUEST_TYPES))
    elif kind == "SessionEndedRequest":
        request["reason"] = draw(
            st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"])
        )
        if request["reason"] == "ERROR":
            request["error"] = {"type": "INVALID_RESPONSE", "message": draw(speakable)}
    elif kind == "IntentRequest":
        name = draw(st.sampled_from(INTENTS))
        intent: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
        if name in ("ReportSymptomsIntent", "AnswerIntent"):
            names = draw(st.lists(st.sampled_from(sorted(SLOT_TYPES)), unique=True, max_size=6))
            intent["slots"] = {n: draw(slot(n)) for n in names}
        request["intent"] = intent
        request["dialogState"] = draw(st.sampled_from(["STARTED", "IN_PROGRESS", "COMPLETED"]))
    return request


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An envelope as Alexa sends it, with state a session can hold and unknown properties."""
    now = datetime.now(UTC)
    application = {"applicationId": SKILL_ID}
    user = {"userId": f"amzn1.ask.account.PROP{draw(st.integers(0, 3))}"}
    envelope: dict[str, Any] = {
        "version": "1.0",
        "session": {
            "new": draw(st.booleans()),
            "sessionId": "amzn1.echo-api.session.properties",
            "application": application,
            "user": user,
            "attributes": draw(session_state()),
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.P", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": draw(request_body(now)),
    }
    # Alexa may add properties the SDK does not know yet; they must be ignored.
    for holder in draw(
        st.lists(st.sampled_from(["", "request", "session", "context"]), max_size=2)
    ):
        target = envelope if not holder else envelope[holder]
        target[f"x{draw(st.integers(0, 99))}"] = draw(json_values)
    if draw(st.booleans()):
        del envelope["session"]["attributes"]
    return envelope
