"""A simulated Alexa conversation: words in, request envelopes out, the skill's answers back.

:class:`Conversation` keeps what Alexa keeps between turns: the open session
and its attributes (through :class:`skill.tools.envelopes.Session`), the user and
device (the same for every session of one run, so the skill's memory of
earlier check-ins works) and a clock that a script can move forward. A
transport delivers each envelope: :class:`InProcess` to a skill object in
this process, :class:`HttpEndpoint` to a URL with a plain HTTP POST.

With :class:`~skill.tools.simulator.alexa_apis.LocalAlexaApis` (``alexa``), the requests
name those simulated APIs as their ``apiEndpoint``, with their access token and the
reminders permission when granted; a response that asks for the permission by voice
(``Connections.SendRequest`` ``AskFor``) ends the session, Alexa asks, and the runner's next
words answer her: a yes (or "I approve") is ``ACCEPTED``, a no ``DENIED``, anything else
``NOT_ANSWERED``, sent to the skill as a ``Connections.Response`` without a session
(:meth:`Conversation.answer_permission`).
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from skill.errors import LegCheckError
from skill.handlers import ASK_FOR
from skill.tools.envelopes import DEFAULT_SKILL_ID, Session
from skill.tools.models import phrasebook, words
from skill.tools.simulator.alexa_apis import LocalAlexaApis, ReceivedReminder
from skill.tools.simulator.nlu import InteractionModel, Resolution

if TYPE_CHECKING:
    from skill.memory import Memory
    from skill.store import CheckInStore

PERMISSION_ANSWERS = ("ACCEPTED", "DENIED", "NOT_ANSWERED")
"""What a runner's answer to Alexa's "may the skill set reminders?" can be."""
APPROVE = "approve"
"""The word Alexa's permission prompt asks for ("You can say I approve or no")."""


class SimulatorError(LegCheckError):
    """The skill could not be reached, or answered with something that is not a response."""


class Transport(Protocol):
    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Deliver one request envelope and return the response envelope."""
        ...


class InProcess:
    """Invoke an ask-sdk ``CustomSkill`` in this process (:func:`skill.app.handle_event`)."""

    def __init__(self, skill: Any, store: CheckInStore | None = None) -> None:
        self.skill = skill
        self.store = store
        """The check-in store ``skill`` was built with (None: it keeps nothing)."""

    @property
    def where(self) -> str:
        return "in-process"

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        from skill.app import handle_event

        return handle_event(envelope, None, self.skill)

    def memory(self, envelope: dict[str, Any]) -> Memory:
        """What the skill would know of the runner of ``envelope`` on its day: the same
        :class:`~skill.memory.Memory` its handlers read, its record read once (a read that
        failed leaves ``problem`` set)."""
        from skill.app import read_event
        from skill.memory import Memory

        memory = Memory(self.store, read_event(envelope, self.skill))
        memory.recall()
        return memory


class HttpEndpoint:
    """POST each envelope as JSON to a skill endpoint such as ``legcheck serve``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise SimulatorError(f"expected an http:// or https:// URL, got {url!r}")
        self.url = url
        self.timeout = timeout

    @property
    def where(self) -> str:
        return self.url

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(envelope).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "legcheck-simulator",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()
            raise SimulatorError(f"{self.url} answered HTTP {exc.code}: {detail[:300]}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SimulatorError(f"could not reach {self.url}: {reason}") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SimulatorError(f"{self.url} did not answer with JSON: {raw[:200]!r}") from exc
        if not isinstance(data, dict) or "response" not in data:
            raise SimulatorError(
                f"{self.url} did not answer with a response envelope: {str(data)[:200]}"
            )
        return data


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def ssml_to_text(ssml: str) -> str:
    """What a listener hears, as text: tags dropped, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", ssml))).strip()


def speech_text(output_speech: dict[str, Any] | None) -> str:
    if not output_speech:
        return ""
    if output_speech.get("type") == "PlainText" or "text" in output_speech:
        return _SPACE.sub(" ", str(output_speech.get("text", ""))).strip()
    return ssml_to_text(str(output_speech.get("ssml", "")))


@dataclass
class Turn:
    """One thing the user said, and what came of it."""

    utterance: str
    resolution: Resolution
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    session_open: bool = False
    """Whether a session is still open after this turn."""
    reminders: list[ReceivedReminder] = field(default_factory=list)
    """The reminders the simulated Reminders API created during this turn."""

    @property
    def routed(self) -> bool:
        return self.request is not None

    @property
    def asks_permission(self) -> str | None:
        """The token of the response's voice-permission request (``Connections.SendRequest``
        ``AskFor``), if it made one."""
        for directive in self._response.get("directives") or []:
            if (
                isinstance(directive, dict)
                and directive.get("type") == "Connections.SendRequest"
                and directive.get("name") == ASK_FOR
            ):
                return str(directive.get("token") or "")
        return None

    @property
    def permission_card(self) -> list[str]:
        """The permissions an ``AskForPermissionsConsent`` card asks for (empty: none)."""
        card = self._response.get("card") or {}
        if card.get("type") != "AskForPermissionsConsent":
            return []
        return [str(p) for p in card.get("permissions") or []]

    @property
    def _response(self) -> dict[str, Any]:
        body: dict[str, Any] = (self.response or {}).get("response") or {}
        return body

    @property
    def speech(self) -> str:
        return speech_text(self._response.get("outputSpeech"))

    @property
    def reprompt(self) -> str:
        return speech_text((self._response.get("reprompt") or {}).get("outputSpeech"))

    @property
    def card(self) -> tuple[str, str] | None:
        card = self._response.get("card")
        if not card:
            return None
        if card.get("type") == "AskForPermissionsConsent":
            return "Permission", "asks to grant " + ", ".join(self.permission_card)
        text = card.get("content") or card.get("text") or ""
        return str(card.get("title", "")), str(text)

    @property
    def screen(self) -> list[str]:
        """What an APL screen would show for this turn (empty without a RenderDocument)."""
        from skill.screen import RENDER_DIRECTIVE, screen_lines

        for directive in self._response.get("directives") or []:
            if isinstance(directive, dict) and directive.get("type") == RENDER_DIRECTIVE:
                return screen_lines(directive.get("datasources") or {})
        return []

    @property
    def should_end_session(self) -> bool | None:
        value = self._response.get("shouldEndSession")
        return None if value is None else bool(value)

    @property
    def session_attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = (self.response or {}).get("sessionAttributes") or {}
        return attrs


@dataclass
class Conversation:
    """A run of the simulator: one user and device, sessions opening and closing."""

    model: InteractionModel
    transport: Transport
    skill_id: str = DEFAULT_SKILL_ID
    offset: timedelta = field(default_factory=timedelta)
    session: Session | None = None
    user_id: str = ""
    device_id: str = ""
    history: list[Turn] = field(default_factory=list)
    screen: bool = False
    """Talk as an Echo Show would: the device supports APL, so the skill may show a screen."""
    viewport: dict[str, Any] | None = None
    """With :attr:`screen`, the ``context.Viewport`` the requests carry
    (:func:`skill.tools.envelopes.viewport`); None: none, as before."""
    alexa: LocalAlexaApis | None = None
    """Alexa's Reminders and Settings APIs, simulated; None: the requests name Amazon's
    endpoint, which nothing here calls (a skill that offers no reminders calls no API)."""
    clock: datetime | None = None
    """The simulated time at the start (aware); None: the real time."""
    asked_permission: str | None = None
    """The token of a voice-permission request Alexa is asking the runner about now."""

    def __post_init__(self) -> None:
        template = Session(skill_id=self.skill_id, locale=self.model.locale)
        self.user_id = self.user_id or template.user_id
        self.device_id = self.device_id or template.device_id

    @property
    def in_session(self) -> bool:
        return self.session is not None

    def now(self) -> datetime:
        """The simulated time: the real time (or :attr:`clock`), moved on by :meth:`advance`."""
        return (self.clock or datetime.now(UTC)) + self.offset

    def advance(self, days: float = 0, hours: float = 0) -> Turn | None:
        """Move the clock forward.

        A session still open times out first, as it would on a device: Alexa
        sends a ``SessionEndedRequest`` with reason ``EXCEEDED_MAX_REPROMPTS``.
        """
        if days < 0 or hours < 0:
            raise ValueError("the clock only moves forward")
        ended = self.end_session("EXCEEDED_MAX_REPROMPTS")
        self.offset += timedelta(days=days, hours=hours)
        return ended

    def _new_session(self) -> Session:
        session = Session(
            skill_id=self.skill_id,
            user_id=self.user_id,
            device_id=self.device_id,
            locale=self.model.locale,
            screen=self.screen,
            viewport=self.viewport,
        )
        if self.alexa is not None:
            session.api_endpoint = self.alexa.url
            session.api_access_token = self.alexa.token
            session.scopes = self._scopes()
        return session

    def _scopes(self) -> dict[str, str]:
        """The permissions the runner has granted, as ``context.System.user.permissions``
        lists them (none: no ``permissions`` at all)."""
        from skill.reminders import REMINDERS_SCOPE

        granted = self.alexa is not None and self.alexa.granted
        return {REMINDERS_SCOPE: "GRANTED"} if granted else {}

    def grant(self, granted: bool) -> None:
        """The runner grants (or takes back) the reminders permission, as in the Alexa app:
        the next request shows it."""
        if self.alexa is None:
            raise SimulatorError(
                "no simulated Alexa APIs in this run (legcheck simulate --reminders)"
            )
        self.alexa.granted = granted
        if self.session is not None:
            self.session.scopes = self._scopes()

    def _send(self, turn: Turn) -> None:
        """Deliver the turn's request; note the reminders created meanwhile."""
        before = self.alexa.received() if self.alexa is not None else 0
        turn.response = self.transport.send(turn.request or {})
        if self.alexa is not None:
            turn.reminders = self.alexa.since(before)

    def say(self, utterance: str) -> Turn:
        """Resolve the words, send the request Alexa would send, and keep the session going;
        while Alexa asks for a permission, the words answer her."""
        if self.asked_permission is not None:
            return self.answer_permission(
                permission_answer_of(utterance, self.model.locale), utterance
            )
        resolution = self.model.resolve(utterance, self.in_session)
        turn = Turn(utterance, resolution)
        if resolution.request_type is None:
            turn.session_open = self.in_session
            self.history.append(turn)
            return turn
        if resolution.new_session or self.session is None:
            self.session = self._new_session()
        session = self.session
        now = self.now()
        if resolution.request_type == "LaunchRequest":
            turn.request = session.launch(now)
        elif resolution.request_type == "SessionEndedRequest":
            turn.request = session.session_ended("USER_INITIATED", now)
        else:
            assert resolution.intent is not None
            turn.request = session.intent(
                resolution.intent, list(resolution.slots), list(resolution.slot_names), now
            )
        self._send(turn)
        assert turn.response is not None
        ended = resolution.request_type == "SessionEndedRequest"
        if ended or not session.absorb(turn.response):
            self.session = None
        if turn.asks_permission is not None:
            # Alexa asks for the permission herself; her answer comes without a session
            self.asked_permission = turn.asks_permission
            self.session = None
        turn.session_open = self.session is not None
        self.history.append(turn)
        return turn

    def answer_permission(self, answer: str, utterance: str = "") -> Turn:
        """The runner's answer to Alexa's permission question (``ACCEPTED``, ``DENIED`` or
        ``NOT_ANSWERED``), sent to the skill as a ``Connections.Response`` with the token
        it gave; accepted also grants the permission."""
        if answer not in PERMISSION_ANSWERS:
            raise SimulatorError(f"expected one of {', '.join(PERMISSION_ANSWERS)}, got {answer!r}")
        token = self.asked_permission
        if token is None:
            raise SimulatorError("Alexa is not asking for a permission now")
        self.asked_permission = None
        if self.alexa is not None and answer != "NOT_ANSWERED":
            self.alexa.granted = answer == "ACCEPTED"
        resolution = Resolution("Connections.Response", note=f"{ASK_FOR} {answer}")
        request = self._new_session().connections_response(ASK_FOR, answer, token, now=self.now())
        turn = Turn(utterance, resolution, request)
        self._send(turn)
        turn.session_open = False
        self.session = None
        self.history.append(turn)
        return turn

    def skill_event(self, enabled: bool) -> Turn:
        """The runner enables (or disables) the skill in the Alexa app: Alexa sends an
        ``AlexaSkillEvent.SkillEnabled`` (``SkillDisabled``) without a session; a session
        still open is left as it is."""
        session = self._new_session()
        now = self.now()
        request = session.skill_enabled(now) if enabled else session.skill_disabled(now)
        kind = str(request["request"]["type"])
        turn = Turn("", Resolution(kind, note="a skill event, from the Alexa app"), request)
        self._send(turn)
        turn.session_open = self.in_session
        self.history.append(turn)
        return turn

    def switch_user(self, user_id: str) -> Turn | None:
        """Another runner talks from now on; a session still open ends first."""
        ended = self.end_session("USER_INITIATED")
        self.user_id = user_id
        return ended

    def switch_model(self, model: InteractionModel) -> Turn | None:
        """Talk in another market (its model, its locale) from now on; a session still open
        ends first."""
        ended = self.end_session("USER_INITIATED")
        self.model = model
        return ended

    def memory(self) -> Memory:
        """What the skill in this process would know of this runner now (on the simulated
        day), read as a launch from this runner and device would read it."""
        transport = self.transport
        if not isinstance(transport, InProcess):
            raise SimulatorError("the store can be read only for the skill in this process")
        envelope = Session(
            skill_id=self.skill_id,
            user_id=self.user_id,
            device_id=self.device_id,
            locale=self.model.locale,
        ).launch(self.now())
        return transport.memory(envelope)

    def end_session(self, reason: str = "USER_INITIATED") -> Turn | None:
        """Close an open session the way Alexa does (a SessionEndedRequest), if one is open."""
        if self.session is None:
            return None
        resolution = Resolution("SessionEndedRequest", note=reason)
        turn = Turn("", resolution, self.session.session_ended(reason, self.now()))
        self._send(turn)
        self.session = None
        self.history.append(turn)
        return turn


def permission_answer_of(utterance: str, locale: str) -> str:
    """What words said to Alexa's "may the skill set reminders? You can say I approve or no"
    answer: ``ACCEPTED`` for "I approve" or a yes, ``DENIED`` for a no, else
    ``NOT_ANSWERED``."""
    said = words(utterance)
    book = phrasebook(locale).builtin_phrases
    if APPROVE in said or " ".join(said) in book.get("AMAZON.YesIntent", ()):
        return "ACCEPTED"
    if " ".join(said) in book.get("AMAZON.NoIntent", ()):
        return "DENIED"
    return "NOT_ANSWERED"
