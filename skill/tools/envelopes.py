"""Build realistic Alexa request envelopes (plain JSON dicts).

Used by the local simulator and the tests. The shape follows Amazon's
"Request and Response JSON Reference": a session (with attributes carried
across turns), context.System with the application, user and device, and
the request with its id, timestamp and locale. Custom slot values carry
entity resolution results the way Alexa sends them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-legcheck0000"
DEFAULT_API_ENDPOINT = "https://api.amazonalexa.com"
"""Alexa's North American API endpoint, as ``context.System.apiEndpoint`` names it."""


def _id(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4()}"


def timestamp(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SlotValue:
    """A filled slot: the words heard and, for a custom type, the resolution.

    ``resolved_id`` None with ``custom`` True means ER_SUCCESS_NO_MATCH.
    """

    name: str
    value: str
    resolved_id: str | None = None
    resolved_name: str | None = None
    slot_type: str = ""
    custom: bool = True


@dataclass
class Session:
    """One simulated Alexa session: ids, attributes and who is speaking."""

    skill_id: str = DEFAULT_SKILL_ID
    user_id: str = field(default_factory=lambda: _id("amzn1.ask.account"))
    device_id: str = field(default_factory=lambda: _id("amzn1.ask.device"))
    locale: str = "en-US"
    session_id: str = field(default_factory=lambda: _id("amzn1.echo-api.session"))
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True
    screen: bool = False
    """The device has a screen (an Echo Show): it supports Alexa.Presentation.APL."""
    api_endpoint: str = DEFAULT_API_ENDPOINT
    """``context.System.apiEndpoint``: where the skill calls Alexa's service APIs."""
    api_access_token: str = "simulated"
    """``context.System.apiAccessToken``, sent to those APIs as ``Authorization: Bearer``."""
    scopes: dict[str, str] = field(default_factory=dict)
    """Permission scopes and their status, e.g. ``{REMINDERS_SCOPE: "GRANTED"}``: the user's
    ``permissions`` (none when empty, as for a skill that asks for none)."""
    viewport: dict[str, Any] | None = None
    """``context.Viewport``: what a device with a screen says of it (:func:`viewport`); None
    for a device without one, as Alexa sends it from a speaker."""

    def interfaces(self) -> dict[str, Any]:
        if not self.screen:
            return {}
        return {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.1"}}}

    def envelope(self, request: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
        request = {
            "requestId": _id("amzn1.echo-api.request"),
            "timestamp": timestamp(now),
            "locale": self.locale,
            **request,
        }
        application = {"applicationId": self.skill_id}
        user: dict[str, Any] = {"userId": self.user_id}
        if self.scopes:
            user["permissions"] = {
                "consentToken": self.api_access_token,
                "scopes": {scope: {"status": status} for scope, status in self.scopes.items()},
            }
        body: dict[str, Any] = {
            "version": "1.0",
            "session": {
                "new": self.new,
                "sessionId": self.session_id,
                "application": application,
                "attributes": dict(self.attributes),
                "user": user,
            },
            "context": {
                "System": {
                    "application": application,
                    "user": user,
                    "device": {
                        "deviceId": self.device_id,
                        "supportedInterfaces": self.interfaces(),
                    },
                    "apiEndpoint": self.api_endpoint,
                    "apiAccessToken": self.api_access_token,
                }
            },
            "request": request,
        }
        if self.screen and self.viewport is not None:
            body["context"]["Viewport"] = dict(self.viewport)
        return body

    def launch(self, now: datetime | None = None) -> dict[str, Any]:
        return self.envelope({"type": "LaunchRequest"}, now)

    def intent(
        self,
        name: str,
        slots: list[SlotValue] | None = None,
        slot_names: list[str] | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """An IntentRequest; ``slot_names`` lists the intent's empty slots too."""
        filled = {s.name: s for s in slots or []}
        out: dict[str, Any] = {}
        for slot_name in sorted(set(slot_names or []) | set(filled)):
            out[slot_name] = slot_json(filled.get(slot_name), slot_name, self.skill_id)
        return self.envelope(
            {
                "type": "IntentRequest",
                "dialogState": "STARTED" if self.new else "IN_PROGRESS",
                "intent": {"name": name, "confirmationStatus": "NONE", "slots": out},
            },
            now,
        )

    def session_ended(
        self, reason: str = "USER_INITIATED", now: datetime | None = None
    ) -> dict[str, Any]:
        return self.envelope({"type": "SessionEndedRequest", "reason": reason}, now)

    def skill_disabled(
        self, now: datetime | None = None, persisted: bool = False
    ) -> dict[str, Any]:
        """``AlexaSkillEvent.SkillDisabled``: sent when the user disables the skill.

        Like every skill event it carries no ``session``; the user is in the context.
        """
        body = self.envelope(
            {
                "type": "AlexaSkillEvent.SkillDisabled",
                "eventCreationTime": timestamp(now),
                "eventPublishingTime": timestamp(now),
                "body": {
                    "userInformationPersistenceStatus": "PERSISTED"
                    if persisted
                    else "NOT_PERSISTED"
                },
            },
            now,
        )
        del body["session"]
        return body

    def skill_enabled(self, now: datetime | None = None) -> dict[str, Any]:
        """``AlexaSkillEvent.SkillEnabled``: sent when the user enables the skill. No
        ``session``, like every skill event."""
        body = self.envelope(
            {
                "type": "AlexaSkillEvent.SkillEnabled",
                "eventCreationTime": timestamp(now),
                "eventPublishingTime": timestamp(now),
            },
            now,
        )
        del body["session"]
        return body

    def connections_response(
        self,
        name: str,
        answer: str,
        token: str,
        code: str = "200",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """``Connections.Response``: the answer to a ``Connections.SendRequest`` such as
        ``AskFor`` (``answer``: ``ACCEPTED``, ``DENIED`` or ``NOT_ANSWERED``), carrying the
        request's ``token`` back. Like a skill event it comes without a ``session``."""
        body = self.envelope(
            {
                "type": "Connections.Response",
                "name": name,
                "status": {"code": code, "message": "OK" if code == "200" else "Error"},
                "payload": {"status": answer, "isCardThrown": False},
                "token": token,
            },
            now,
        )
        del body["session"]
        return body

    def absorb(self, response: dict[str, Any]) -> bool:
        """Carry a response's session attributes into the next turn; False once it ends."""
        self.attributes = dict(response.get("sessionAttributes") or {})
        self.new = False
        ended = bool(response.get("response", {}).get("shouldEndSession", False))
        return not ended


def viewport(shape: str, width: int, height: int, dpi: int) -> dict[str, Any]:
    """``context.Viewport`` as an Echo Show (``RECTANGLE``) or an Echo Spot (``ROUND``)
    sends it: its shape, size in pixels and density, a touch screen in the ``HUB`` mode."""
    # an Echo Show 5 reports 246 x 144 arc minutes for its 1024 x 600 pixels
    arc = 246 / 1024
    return {
        "experiences": [
            {
                "arcMinuteWidth": round(width * arc),
                "arcMinuteHeight": round(height * arc),
                "canRotate": False,
                "canResize": False,
            }
        ],
        "mode": "HUB",
        "shape": shape,
        "pixelWidth": width,
        "pixelHeight": height,
        "dpi": dpi,
        "currentPixelWidth": width,
        "currentPixelHeight": height,
        "touch": ["SINGLE"],
        "keyboard": [],
        "video": {"codecs": ["H_264_42", "H_264_41"]},
    }


def slot_json(slot: SlotValue | None, name: str, skill_id: str) -> dict[str, Any]:
    if slot is None:
        return {"name": name, "confirmationStatus": "NONE"}
    out: dict[str, Any] = {
        "name": name,
        "value": slot.value,
        "confirmationStatus": "NONE",
        "source": "USER",
    }
    if slot.custom:
        authority = f"amzn1.er-authority.echo-sdk.{skill_id}.{slot.slot_type}"
        if slot.resolved_id is not None:
            resolution = {
                "authority": authority,
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [
                    {"value": {"name": slot.resolved_name or slot.value, "id": slot.resolved_id}}
                ],
            }
        else:
            resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
        out["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return out
