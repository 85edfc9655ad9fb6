"""The check-in's state between turns, read once per request into one typed object.

Session attributes come back from Alexa as the skill sent them, but a request
can carry anything: unknown keys are dropped, values of the wrong type are
reset, feature ids the knowledge file does not know are ignored, and the text
kept for AMAZON.RepeatIntent is capped. The handlers and the dialogue policy read and
write only :class:`DialogState`, never raw attribute keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from skill.history import FOLLOW_UP_DAYS
from skill.knowledge import NO_CAUSE, Knowledge

if TYPE_CHECKING:
    from skill.reminders import ReminderTime

MAX_REPEAT_CHARS = 6000
"""Speech kept for Repeat: well inside Alexa's 8,000-character limit."""
MAX_REPEAT_PARTS = 40
"""Sentences kept for Repeat: each becomes a pause in SSML, so their number is capped too."""


def _bounded(value: Any, low: int = 0, high: int = 100) -> int:
    """``value`` as a count between ``low`` and ``high``; ``low`` when it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        return low
    return max(low, min(high, value))


def _waiting_outcome(value: Any, knowledge: Knowledge) -> Outcome | None:
    """The check-in waiting for consent, if it is one the engine could have given."""
    if not isinstance(value, Mapping):
        return None
    found = value.get("features")
    cause, level = value.get("cause"), value.get("level")
    causes = (
        {c.id for c in knowledge.causes}
        | {d.id for d in knowledge.danger_signs}
        | {c.id for c in knowledge.complaints}
    )
    if not (
        isinstance(found, list)
        and isinstance(cause, str)
        and isinstance(level, str)
        and (cause in causes or cause == NO_CAUSE)
        and level in knowledge.levels
    ):
        return None
    kept = tuple(f for f in found if isinstance(f, str) and f in knowledge.features)[:30]
    return Outcome(kept, str(cause), str(level))


def _repeatable(value: Any) -> tuple[str, ...]:
    """The sentences kept for Repeat, each printable and stripped, the empty ones dropped;
    none when they are not a list of strings, or more than the caps allow."""
    if not isinstance(value, list) or len(value) > MAX_REPEAT_PARTS:
        return ()
    out: list[str] = []
    total = 0
    for part in value:
        if not isinstance(part, str):
            return ()
        if not part.isprintable():  # (what the skill itself said always is)
            part = "".join(ch for ch in part if ch.isprintable())
        part = part.strip()
        total += len(part)
        if total > MAX_REPEAT_CHARS:
            return ()
        if part:
            out.append(part)
    return tuple(out)


def _waiting_reminder(value: Any) -> ReminderTime | None:
    """The reminder offered and waiting for a yes or no, if ``value`` is a plan
    :meth:`~skill.reminders.ReminderTime.as_json` wrote (only then is that module loaded)."""
    if value is None:
        return None
    from skill.reminders import ReminderTime

    return ReminderTime.from_json(value)


class Outcome(NamedTuple):
    """A check-in's outcome as it would be kept: the feature ids, the cause id, the level."""

    features: tuple[str, ...]
    cause: str
    level: str

    def to_attributes(self) -> dict[str, Any]:
        return {"features": list(self.features), "cause": self.cause, "level": self.level}


class FollowUp(NamedTuple):
    """ "Yesterday you told me about tingling in your shins. Is it still there?": the
    earlier check-in asked about, and how many days ago it was."""

    checkin: Outcome
    days_ago: int

    def to_attributes(self) -> dict[str, Any]:
        return {**self.checkin.to_attributes(), "days": self.days_ago}

    @classmethod
    def read(cls, value: Any, knowledge: Knowledge) -> FollowUp | None:
        """The follow-up in ``value`` (its features, cause, level and ``days``), if it asks
        about a check-in the engine could have given; an age that is not a count of days
        counts as the same day (so nothing is taken to have lasted)."""
        kept = _waiting_outcome(value, knowledge)
        if kept is None:
            return None
        assert isinstance(value, Mapping)  # (_waiting_outcome took it)
        return cls(kept, _bounded(value.get("days"), 0, FOLLOW_UP_DAYS))


@dataclass
class DialogState:
    """The check-in so far: what was heard and asked, the question waiting for an answer,
    and what was last said (for Repeat)."""

    answers: dict[str, bool] = field(default_factory=dict)
    """Feature id to what was heard or answered: True present, False absent."""
    asked: list[str] = field(default_factory=list)
    """Feature ids asked about, in order."""
    pending: str | None = None
    """The feature id of the yes/no question just asked."""
    forget: bool = False
    """Waiting for a yes to delete stored check-ins."""
    consent: Outcome | None = None
    """Waiting for a yes or no to "may I remember your check-ins?", and the check-in the
    advice was for (kept on a yes, dropped on anything else)."""
    follow_up: FollowUp | None = None
    """Waiting for a yes or no to "is it still there?", asked at the launch about the
    runner's open complaint."""
    reminder: ReminderTime | None = None
    """Waiting for a yes or no to "Would you like a reminder tomorrow at 7 PM to check in on
    your legs?", and when that reminder would ring (the time said is the time set)."""
    reminder_offered: bool = False
    """A reminder was offered in this session: it is not offered again, even for a check-in
    started over."""
    continued: bool = False
    """This check-in goes on from a complaint the runner said is still there: the earlier
    check-in is the same complaint, not one that came back."""
    tries: int = 0
    """Open questions that yielded nothing; from one on, the guided path."""
    repeats: int = 0
    """How often the pending question was asked again for want of an answer."""
    turns: int = 0
    """Runner turns since the first one that described a symptom, that one included."""
    questions: int = 0
    """Questions asked since the first description."""
    guided: bool = False
    """The guided path has been introduced."""
    noted: list[str] = field(default_factory=list)
    """Danger features already confirmed as denied ("Okay, no chest pain")."""
    last_speech: tuple[str, ...] = ()
    """The sentences the skill last said in the session (recorded from the response)."""
    last_reprompt: tuple[str, ...] = ()
    """That response's reprompt."""

    @property
    def described(self) -> bool:
        """Whether the runner has described a symptom (some feature was heard as present)."""
        return any(self.answers.values())

    @classmethod
    def read(cls, attrs: Mapping[str, Any] | None, knowledge: Knowledge) -> DialogState:
        """The state in ``attrs``, repaired: never raises, whatever the attributes hold."""
        if not isinstance(attrs, Mapping):
            return cls()
        features = knowledge.features
        answers_in = attrs.get("answers")
        answers = (
            {
                str(k): v
                for k, v in answers_in.items()
                if isinstance(k, str) and k in features and isinstance(v, bool)
            }
            if isinstance(answers_in, Mapping)
            else {}
        )
        asked_in = attrs.get("asked")
        asked = (
            [a for a in asked_in if isinstance(a, str) and a in features][:20]
            if isinstance(asked_in, list)
            else []
        )
        pending = attrs.get("pending")
        if not (isinstance(pending, str) and pending in features and features[pending].question):
            pending = None
        noted_in = attrs.get("noted")
        noted = (
            [n for n in noted_in if isinstance(n, str) and n in features][:20]
            if isinstance(noted_in, list)
            else []
        )
        last = attrs.get("last")
        speech = _repeatable(last.get("speech")) if isinstance(last, Mapping) else ()
        reprompt = _repeatable(last.get("reprompt")) if isinstance(last, Mapping) else ()
        return cls(
            answers=answers,
            asked=asked,
            pending=pending,
            forget=attrs.get("forget") is True,
            consent=_waiting_outcome(attrs.get("consent"), knowledge),
            follow_up=FollowUp.read(attrs.get("follow_up"), knowledge),
            reminder=_waiting_reminder(attrs.get("reminder")),
            reminder_offered=attrs.get("reminder_offered") is True,
            continued=attrs.get("continued") is True,
            tries=_bounded(attrs.get("tries")),
            repeats=_bounded(attrs.get("repeats")),
            turns=_bounded(attrs.get("turns")),
            questions=_bounded(attrs.get("questions")),
            guided=attrs.get("guided") is True,
            noted=noted,
            last_speech=speech,
            last_reprompt=reprompt,
        )

    def to_attributes(self) -> dict[str, Any]:
        """What the next request should carry back: only known keys, only plain values."""
        out: dict[str, Any] = {
            "answers": dict(sorted(self.answers.items())),
            "asked": list(self.asked),
            "pending": self.pending,
        }
        for key in ("forget", "guided", "continued", "reminder_offered"):
            if getattr(self, key):
                out[key] = True
        for key in ("tries", "repeats", "turns", "questions"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.consent is not None:
            out["consent"] = self.consent.to_attributes()
        if self.follow_up is not None:
            out["follow_up"] = self.follow_up.to_attributes()
        if self.reminder is not None:
            out["reminder"] = self.reminder.as_json()
        if self.noted:
            out["noted"] = list(self.noted)
        if self.last_speech:
            out["last"] = {"speech": list(self.last_speech), "reprompt": list(self.last_reprompt)}
        return out

    def start_over(self) -> None:
        """A fresh check-in: everything reset but what was last said (Repeat still works) and
        whether a reminder was offered (once a session)."""
        keep = (self.last_speech, self.last_reprompt, self.reminder_offered)
        self.__dict__.update(DialogState().__dict__)
        self.last_speech, self.last_reprompt, self.reminder_offered = keep
