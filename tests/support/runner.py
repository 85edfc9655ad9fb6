"""A runner talking to the skill object, turn by turn, and what the skill said back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ask_sdk_core.skill import CustomSkill

from skill.app import handle_event
from skill.tools.envelopes import Session, SlotValue

SLOTS = ["Sensation", "SecondSensation", "BodyPart", "Timing", "Modifier", "DangerSign"]
SLOT_TYPES = {
    "Sensation": "SENSATION",
    "SecondSensation": "SENSATION",
    "BodyPart": "BODY_PART",
    "Timing": "TIMING",
    "Modifier": "MODIFIER",
    "DangerSign": "DANGER_SIGN",
}


def invoke(skill_obj: CustomSkill, envelope: dict[str, Any]) -> dict[str, Any]:
    """The skill's response envelope to ``envelope``, as Lambda would get it."""
    return handle_event(envelope, None, skill_obj)


def said(response: dict[str, Any]) -> str:
    """The speech of ``response`` as plain words: no SSML tags, single spaces."""
    ssml = response["response"].get("outputSpeech", {}).get("ssml", "")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", ssml)).strip()


def slot(name: str, words: str, value_id: str | None) -> SlotValue:
    """The slot ``name`` filled with ``words``, resolved to ``value_id`` (None: no match)."""
    return SlotValue(name, words, value_id, slot_type=SLOT_TYPES[name])


class Runner:
    """A runner talking to the skill: each turn carries the session on."""

    def __init__(
        self, skill_obj: CustomSkill, session: Session | None = None, now: datetime | None = None
    ) -> None:
        self.skill = skill_obj
        self.session = session or Session()
        self.now = now or datetime.now(UTC)
        self.last: dict[str, Any] = {}
        self.open = True

    def send(self, envelope: dict[str, Any]) -> str:
        self.last = invoke(self.skill, envelope)
        self.open = self.session.absorb(self.last)
        return said(self.last)

    def launch(self) -> str:
        return self.send(self.session.launch(self.now))

    def report(self, *slots: SlotValue, intent: str = "ReportSymptomsIntent") -> str:
        return self.send(self.session.intent(intent, list(slots), SLOTS, self.now))

    def say(self, intent: str) -> str:
        return self.send(self.session.intent(intent, [], [], self.now))

    def answer_all(self, value: bool) -> list[str]:
        """Answer every follow-up question with yes or no; return the questions heard."""
        heard = []
        while self.open and self.session.attributes.get("pending"):
            heard.append(said(self.last))
            self.say("AMAZON.YesIntent" if value else "AMAZON.NoIntent")
        return heard

    def new_session(self, days_later: float = 0) -> None:
        self.session = Session(user_id=self.session.user_id, device_id=self.session.device_id)
        self.now = self.now + timedelta(days=days_later)
        self.open = True
