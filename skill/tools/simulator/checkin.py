"""A realistic check-in, said as a runner would and sent as Alexa would send it.

One script of words (:data:`CHECK_IN`) goes through the simulator's language
understanding and the skill in this process, and :func:`record` keeps the request
envelopes exactly as they were sent (each carrying the session attributes of the
answer before it). Replayed in another process, or many times over, they take the
skill down the same path: the runtime test proves what a check-in imports with
them, ``legcheck package`` learns which modules to precompile from them, and
``scripts/bench.py`` times them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.skill import CustomSkill

from skill.tools.envelopes import Session
from skill.tools.models import model_path
from skill.tools.simulator.conversation import Conversation, InProcess
from skill.tools.simulator.nlu import InteractionModel

CHECK_IN: tuple[str, ...] = (
    "open leg check",
    "my legs are tingling and itchy",  # the description
    "no",  # the safety screen: no swelling face or tight throat
    "yes",  # it eased once cooled down: the advice, then (with a store) the consent question
    "yes",  # remember my check-ins
)
"""Launch, a description, the questions, the advice and the consent answer."""

ONE_SHOT: tuple[str, ...] = (
    "ask leg check my calves have been twitching for two days",  # the advice at once
    "no",  # do not remember my check-ins
)
"""A one-shot check-in with a duration in words (the number words are read too)."""

SCREEN_INTERFACES: dict[str, Any] = {
    "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.3"}},
}
SCREEN_VIEWPORT: dict[str, Any] = {
    "experiences": [
        {"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False, "canResize": False}
    ],
    "mode": "HUB",
    "shape": "RECTANGLE",
    "pixelWidth": 1024,
    "pixelHeight": 600,
    "dpi": 160,
    "currentPixelWidth": 1024,
    "currentPixelHeight": 600,
    "touch": ["SINGLE"],
    "keyboard": ["DIRECTION"],
    "video": {"codecs": ["H_264_42", "H_264_41"]},
}
"""What an Echo Show 5 says about its screen (``context.Viewport``)."""


def record(
    skill: CustomSkill,
    words: Iterable[str] = CHECK_IN,
    *,
    locale: str = "en-US",
    user_id: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Say ``words`` to ``skill`` until its session ends; return the envelopes as sent.

    The user is new unless ``user_id`` names one; ``now`` fixes the requests' time.
    """
    model = InteractionModel.load(model_path(locale))
    conversation = Conversation(model, InProcess(skill), user_id=user_id or "")
    if now is not None:
        conversation.offset = now - datetime.now(UTC)
    sent: list[dict[str, Any]] = []
    for said in words:
        turn = conversation.say(said)
        if turn.request is None:
            raise ValueError(
                f"the simulator sent nothing for {said!r}: {turn.resolution.describe()}"
            )
        sent.append(copy.deepcopy(turn.request))
        if not turn.session_open:
            break
    return sent


def on_a_screen(envelopes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same envelopes as sent from an Echo Show (APL supported, a viewport)."""
    out = []
    for envelope in envelopes:
        shown = copy.deepcopy(envelope)
        context = shown.setdefault("context", {})
        context.setdefault("System", {}).setdefault("device", {})["supportedInterfaces"] = (
            copy.deepcopy(SCREEN_INTERFACES)
        )
        context["Viewport"] = copy.deepcopy(SCREEN_VIEWPORT)
        out.append(shown)
    return out


def for_user(envelopes: Iterable[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """The same envelopes from another Alexa user (so a store holds nothing for them yet)."""
    out = []
    for envelope in envelopes:
        text = json.dumps(envelope)
        for old in _user_ids(envelope):
            text = text.replace(json.dumps(old), json.dumps(user_id))
        out.append(json.loads(text))
    return out


def _user_ids(envelope: dict[str, Any]) -> set[str]:
    ids = set()
    for holder in (
        envelope.get("session") or {},
        (envelope.get("context") or {}).get("System") or {},
    ):
        user = holder.get("user") or {}
        if isinstance(user.get("userId"), str):
            ids.add(user["userId"])
    return ids


def session_ended(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """A SessionEndedRequest (the user walked away) in the session of ``envelopes``."""
    first = envelopes[0]
    session = Session(
        skill_id=first["session"]["application"]["applicationId"],
        user_id=first["session"]["user"]["userId"],
        session_id=first["session"]["sessionId"],
        new=False,
        locale=first["request"].get("locale", "en-US"),
    )
    return session.session_ended("USER_INITIATED")


def skill_disabled(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """``AlexaSkillEvent.SkillDisabled`` from the user of ``envelopes``."""
    first = envelopes[0]
    session = Session(
        skill_id=first["session"]["application"]["applicationId"],
        user_id=first["session"]["user"]["userId"],
    )
    return session.skill_disabled()
