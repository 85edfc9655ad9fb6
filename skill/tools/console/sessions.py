"""The web console's sessions: one simulated runner, device and clock each, in memory.

A :class:`ConsoleSession` holds a :class:`~skill.tools.simulator.conversation.Conversation`
over the development server's own skill object (:class:`InProcess`), and, when that skill
offers reminders, Alexa's Reminders and Settings APIs answered on loopback
(:class:`~skill.tools.simulator.alexa_apis.LocalAlexaApis`), so nothing reaches Amazon. Every
answer is made of the simulator's own pieces (:class:`Turn`'s speech, card and screen, the
replay module's scripts, expectations and ASK replay files): the page shows what they say.

:class:`ConsoleBackend` keeps the sessions: keyed by an unguessable id, at most
:data:`CONSOLE_MAX_SESSIONS` (the oldest used is closed first), behind a lock, since the
development server answers each request on a thread of its own; each session has a lock of its
own too, so two requests for one session take turns.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import threading
from collections import OrderedDict
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from skill.errors import BadRequestError, DataError, LegCheckError
from skill.tools.envelopes import DEFAULT_SKILL_ID, viewport
from skill.tools.models import model_locales, model_path
from skill.tools.simulator.alexa_apis import LocalAlexaApis, ReceivedReminder, zone_for
from skill.tools.simulator.conversation import (
    PERMISSION_ANSWERS,
    Conversation,
    InProcess,
    SimulatorError,
    Turn,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.replay import (
    AskReplay,
    Script,
    ScriptTurn,
    check_turn,
    localize,
    read_script,
    run_script,
)

log = logging.getLogger("legcheck.console")

CONSOLE_MAX_SESSIONS = 16
"""The most console sessions kept at once; a new one closes the one used longest ago."""
MAX_UTTERANCE_CHARS = 500
"""The longest utterance the console takes (Alexa's own are far shorter)."""
SCRIPT_SUFFIXES = (".yaml", ".yml", ".json")
LIST_EXPECTATIONS = ("speech_contains", "speech_not_contains", "reprompt_contains", "card_contains")
"""Expectations whose value may be a list: each item is shown (and checked) on its own."""
MAPPING_EXPECTATIONS = ("slots", "session")
"""Expectations whose value is a mapping: each key is shown (and checked) on its own."""


class ConsoleRequestError(BadRequestError):
    """A console API request that cannot be done: what was expected, what came (HTTP 400)."""


class UnknownConsoleSessionError(LegCheckError):
    """No console session has that id (never made, or closed to make room): HTTP 404."""

    http_status = 404


class UnknownConversationError(LegCheckError):
    """No conversation of that name in the conversations folder: HTTP 404."""

    http_status = 404


@dataclass(frozen=True)
class Device:
    """A device the console can talk from: a speaker, or a screen of a shape and size."""

    id: str
    label: str
    shape: str | None = None
    """``RECTANGLE`` or ``ROUND``; None: no screen."""
    width: int = 0
    height: int = 0
    dpi: int = 0

    @property
    def screen(self) -> bool:
        return self.shape is not None

    def envelope_viewport(self) -> dict[str, Any] | None:
        """The ``context.Viewport`` its requests carry (None: a speaker sends none)."""
        if self.shape is None:
            return None
        return viewport(self.shape, self.width, self.height, self.dpi)

    def to_json(self) -> dict[str, Any]:
        size = (
            {"shape": self.shape, "width": self.width, "height": self.height, "dpi": self.dpi}
            if self.shape is not None
            else None
        )
        return {"id": self.id, "label": self.label, "viewport": size}


CONSOLE_DEVICES = (
    Device("speaker", "Echo Dot (speaker, no screen)"),
    Device("show", "Echo Show (screen)", "RECTANGLE", 1024, 600, 160),
    Device("round", "Echo Spot (round screen)", "ROUND", 480, 480, 160),
)
"""The devices of the console's picker: no screen, an Echo Show's, an Echo Spot's."""


def device_named(name: Any) -> Device:
    for device in CONSOLE_DEVICES:
        if device.id == name:
            return device
    raise ConsoleRequestError(
        f"expected device to be one of {', '.join(d.id for d in CONSOLE_DEVICES)}; got {name!r}"
    )


# ------------------------------------------------------------------ what the page is sent


def reminder_json(reminder: ReceivedReminder) -> dict[str, Any]:
    """A reminder the simulated Reminders API received: when it rings, what it says."""
    if reminder.scheduled is not None:
        try:
            when = f"{datetime.fromisoformat(reminder.scheduled):%Y-%m-%d %H:%M}"
        except ValueError:
            when = reminder.scheduled
        when += f" {reminder.zone}"
    else:
        when = f"in {(reminder.offset_seconds or 0) / 3600:g} hours"
    return {
        "when": when,
        "text": reminder.text,
        "locale": reminder.locale,
        "push": reminder.push,
        "description": reminder.describe(),
    }


def resolution_json(turn: Turn) -> dict[str, Any]:
    """How Alexa resolved the words: the request, intent, slots and their entity resolution."""
    resolution = turn.resolution
    slots = []
    for slot in resolution.slots:
        if not slot.custom:
            status = None
        else:
            status = "ER_SUCCESS_MATCH" if slot.resolved_id is not None else "ER_SUCCESS_NO_MATCH"
        slots.append(
            {
                "name": slot.name,
                "value": slot.value,
                "id": slot.resolved_id,
                "resolvedName": slot.resolved_name,
                "slotType": slot.slot_type,
                "status": status,
            }
        )
    return {
        "requestType": resolution.request_type,
        "intent": resolution.intent,
        "slots": slots,
        "newSession": resolution.new_session,
        "note": resolution.note,
        "sample": resolution.sample,
        "describe": resolution.describe(),
    }


def turn_json(turn: Turn) -> dict[str, Any]:
    """One turn as the page shows it (the contract's TURN)."""
    from skill.screen import RENDER_DIRECTIVE

    body: dict[str, Any] = (turn.response or {}).get("response") or {}
    output = body.get("outputSpeech") or {}
    raw_card = body.get("card")
    card = None
    shown = turn.card
    if raw_card and shown is not None:
        card = {"type": raw_card.get("type"), "title": shown[0], "text": shown[1]}
        if turn.permission_card:
            card["permissions"] = turn.permission_card
    apl = None
    for directive in body.get("directives") or []:
        if isinstance(directive, dict) and directive.get("type") == RENDER_DIRECTIVE:
            apl = {
                "document": directive.get("document") or {},
                "datasources": directive.get("datasources") or {},
                "token": directive.get("token"),
            }
            break
    return {
        "utterance": turn.utterance,
        "resolution": resolution_json(turn),
        "request": turn.request,
        "response": turn.response,
        "speech": turn.speech,
        "ssml": str(output.get("ssml") or ""),
        "reprompt": turn.reprompt,
        "card": card,
        "apl": apl,
        "screenLines": turn.screen,
        "reminders": [reminder_json(r) for r in turn.reminders],
        "sessionOpen": turn.session_open,
        "shouldEndSession": turn.should_end_session,
        "asksPermission": turn.asks_permission is not None,
    }


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def expectations_of(expect: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A turn's expectations one by one: each a line of text and the expectation that checks
    it alone (a list of texts, or a mapping of slots or attributes, split item by item)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for key, value in expect.items():
        if key in LIST_EXPECTATIONS and isinstance(value, list):
            out.extend((f"{key}: {_shown(item)}", {key: item}) for item in value)
        elif key in MAPPING_EXPECTATIONS and isinstance(value, dict) and value:
            out.extend(
                (f"{key} {name}: {_shown(want)}", {key: {name: want}})
                for name, want in value.items()
            )
        else:
            out.append((f"{key}: {_shown(value)}", {key: value}))
    return out


def what_came(turn: Turn, key: str) -> str:
    """What the turn gave for one kind of expectation, in a line."""
    if key in ("request", "intent", "new_session", "slots"):
        return turn.resolution.describe()
    if not turn.routed:
        return f"nothing was sent to the skill: {turn.resolution.note}"
    if key.startswith("speech"):
        return f"heard {turn.speech!r}"
    if key.startswith("reprompt"):
        return f"reprompt {turn.reprompt!r}"
    if key.startswith("card") or key == "no_card":
        return "no card" if turn.card is None else f"card {turn.card[0]!r}: {turn.card[1]!r}"
    if key == "session":
        return f"session attributes {json.dumps(turn.session_attributes, sort_keys=True)}"
    if key == "should_end_session":
        return f"shouldEndSession {turn.should_end_session}"
    if key == "asks_permission":
        return "asks for the permission" if turn.asks_permission is not None else "does not ask"
    if key == "permission_card":
        return f"permission card {turn.permission_card or 'none'}"
    if key == "reminder":
        return "; ".join(r.describe() for r in turn.reminders) or "no reminder set"
    return ""


def step_label(st: ScriptTurn) -> str:
    """What a script's turn does, as the page lists it: the words, or what happens."""
    if st.user is not None:
        return st.user
    if st.permission is not None:
        return f"(the reminders permission {'granted' if st.permission else 'taken back'})"
    if st.consent is not None:
        return f"(Alexa's permission question answered: {st.consent})"
    days, hours = st.advance_days, st.advance_hours
    parts = [f"{days:g} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours:g} hour{'s' if hours != 1 else ''}"] if hours else []
    return f"(the clock moves {' and '.join(parts) or '0 days'})"


# ------------------------------------------------------------------ the skill behind it


def store_of(skill: Any) -> Any:
    """The check-in store ``skill`` was built with (its :class:`MemoryInterceptor`'s), or
    None when it keeps nothing."""
    from skill.memory import MemoryInterceptor

    for interceptor in _interceptors(skill):
        if isinstance(interceptor, MemoryInterceptor):
            return interceptor.store
    return None


def offers_reminders(skill: Any) -> bool:
    """Whether ``skill`` offers the next-day reminder (``LEGCHECK_REMINDERS=on``)."""
    from skill.reminder_access import ReminderAccessInterceptor

    return any(isinstance(i, ReminderAccessInterceptor) for i in _interceptors(skill))


def _interceptors(skill: Any) -> list[Any]:
    dispatcher = getattr(skill, "request_dispatcher", None)
    return list(getattr(dispatcher, "request_interceptors", None) or [])


@dataclass
class LoadedScript:
    name: str
    script: Script
    index: int = 0

    @property
    def done(self) -> bool:
        return self.index >= len(self.script.turns)


class ConsoleBackend:
    """What the console's API works on: the server's skill, its store, the models, the
    conversations folder, and the sessions (see the module's text)."""

    def __init__(
        self,
        skill: Any,
        skill_id: str = DEFAULT_SKILL_ID,
        conversations: Path | None = None,
        max_sessions: int = CONSOLE_MAX_SESSIONS,
    ) -> None:
        self.skill = skill
        self.skill_id = skill_id
        self.store = store_of(skill)
        self.reminders = offers_reminders(skill)
        self.conversations = conversations
        self.max_sessions = max_sessions
        self.locales = tuple(model_locales())
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, ConsoleSession] = OrderedDict()
        self._models: dict[str, InteractionModel] = {}
        self._skills: dict[tuple[bool, bool], Any] = {
            (self.store is not None, self.reminders): skill
        }

    # ------------------------------------------------------------------ shared pieces

    def model(self, locale: Any) -> InteractionModel:
        if locale not in self.locales:
            raise ConsoleRequestError(
                f"expected locale to be one of {', '.join(self.locales)} (the markets with a "
                f"model); got {locale!r}"
            )
        with self._lock:
            if locale not in self._models:
                self._models[locale] = InteractionModel.load(model_path(locale))
            return self._models[locale]

    def skill_for(self, store: bool, reminders: bool) -> Any:
        """The server's skill when it is built so, else one built so over the server's store:
        a conversation test runs against the skill its file asks for (a store or none,
        reminders or none), as the test suite runs it, so "met" means the same in both."""
        from skill.app import build_skill

        key = (store and self.store is not None, reminders)
        with self._lock:
            if key not in self._skills:
                self._skills[key] = build_skill(self.store if key[0] else None, reminders=reminders)
            return self._skills[key]

    def conversation_names(self) -> list[str]:
        folder = self.conversations
        if folder is None or not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_file() and p.suffix in SCRIPT_SUFFIXES
        )

    # ------------------------------------------------------------------ the sessions

    def create(self, locale: Any, device: Any) -> ConsoleSession:
        model = self.model(locale)
        chosen = device_named(device)
        session = ConsoleSession(secrets.token_urlsafe(24), self, chosen)
        session.start(model)
        evicted: list[ConsoleSession] = []
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.max_sessions:
                evicted.append(self._sessions.popitem(last=False)[1])
        for old in evicted:
            log.info(
                "console session %s closed to make room (at most %d)", old.id[:6], self.max_sessions
            )
            old.close()
        return session

    def get(self, session_id: str) -> ConsoleSession:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise UnknownConsoleSessionError(
                    f"expected the id of an open console session; got {session_id[:40]!r} "
                    f"(none has it: the server keeps the {self.max_sessions} last used, and "
                    "forgets them all when it restarts): start a new one"
                )
            self._sessions.move_to_end(session_id)
            return session

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def close(self) -> None:
        """Close every session (their simulated Alexa APIs stop)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.close()


@dataclass
class ConsoleSession:
    """One console session: a runner talking from a device, with a clock (module text)."""

    id: str
    backend: ConsoleBackend
    device: Device
    conversation: Conversation | None = None
    apis: LocalAlexaApis | None = None
    said: list[str] = field(default_factory=list)
    """What was said since the session (or its locale) began: the replay file's utterances."""
    script: LoadedScript | None = None
    store: Any = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    _stack: ExitStack = field(default_factory=ExitStack)

    # ------------------------------------------------------------------ set up

    def start(
        self,
        model: InteractionModel,
        *,
        skill: Any = None,
        alexa: LocalAlexaApis | None = None,
        clock: datetime | None = None,
    ) -> None:
        """A fresh runner on ``model``'s market (the previous one's simulated APIs stop):
        the server's skill, with loopback Alexa APIs when it offers reminders."""
        with self.lock:
            self._stack.close()
            self._stack = ExitStack()
            if skill is None:
                skill = self.backend.skill
                if self.backend.reminders and alexa is None:
                    alexa = LocalAlexaApis(zone_for(model.locale))
            self.apis = self._stack.enter_context(alexa) if alexa is not None else None
            self.store = store_of(skill)
            self.conversation = Conversation(
                model,
                InProcess(skill, self.store),
                skill_id=self.backend.skill_id,
                screen=self.device.screen,
                viewport=self.device.envelope_viewport(),
                alexa=self.apis,
                clock=clock,
            )
            self.said = []

    def close(self) -> None:
        with self.lock:
            self._stack.close()
            self.apis = None

    @property
    def talk(self) -> Conversation:
        if self.conversation is None:
            raise SimulatorError("the console session was closed")
        return self.conversation

    # ------------------------------------------------------------------ what the page does

    def say(self, utterance: str) -> list[Turn]:
        with self.lock:
            turn = self.talk.say(utterance)
            self.said.append(utterance)
            return [turn]

    def settings(self, locale: Any = None, device: Any = None) -> list[Turn]:
        """Another market or device from now on; an open session ends first."""
        model = self.backend.model(locale) if locale is not None else None
        chosen = device_named(device) if device is not None else None
        with self.lock:
            talk = self.talk
            ended = talk.end_session("USER_INITIATED")
            if model is not None and model.locale != talk.model.locale:
                talk.switch_model(model)
                self.said = []  # a replay file is in one locale
                if self.apis is not None:
                    self.apis.zone = zone_for(model.locale)
            if chosen is not None:
                self.device = chosen
                talk.screen = chosen.screen
                talk.viewport = chosen.envelope_viewport()
            return [ended] if ended is not None else []

    def new_session(self) -> list[Turn]:
        with self.lock:
            ended = self.talk.end_session("USER_INITIATED")
            return [ended] if ended is not None else []

    def advance(self, days: float) -> list[Turn]:
        with self.lock:
            ended = self.talk.advance(days=days)
            return [ended] if ended is not None else []

    def event(self, enabled: bool) -> list[Turn]:
        with self.lock:
            return [self.talk.skill_event(enabled)]

    def grant(self, granted: bool) -> None:
        with self.lock:
            if self.apis is None:
                raise ConsoleRequestError(
                    "expected a server whose skill offers reminders; this one does not "
                    "(start it with LEGCHECK_REMINDERS=on scripts/run)"
                )
            self.talk.grant(granted)

    def consent(self, answer: str) -> list[Turn]:
        if answer not in PERMISSION_ANSWERS:
            raise ConsoleRequestError(
                f"expected answer to be one of {', '.join(PERMISSION_ANSWERS)}; got {answer!r}"
            )
        with self.lock:
            if self.talk.asked_permission is None:
                raise ConsoleRequestError(
                    "expected Alexa to be asking for the reminders permission; she is not "
                    "(a yes to the skill's reminder offer makes her ask)"
                )
            return [self.talk.answer_permission(answer)]

    def forget(self) -> str:
        """Delete everything the store keeps for this runner (as "forget my check-ins" does,
        without the conversation); a line saying what came of it."""
        with self.lock:
            talk = self.talk
            if self.store is None:
                return "This skill keeps no check-ins (LEGCHECK_DB=off): nothing to forget."
            memory = self.talk.memory()
            deleted = memory.forget()
            where = self.store.describe()
            if deleted:
                return f"Everything kept for {talk.user_id} in the {where} was deleted."
            return f"Nothing was kept for {talk.user_id} in the {where}."

    def replay(self) -> AskReplay:
        """What was said, as an ASK CLI replay file (``ask dialog --replay``)."""
        with self.lock:
            talk = self.talk
            return AskReplay(talk.skill_id, talk.model.locale, (*self.said, ".quit"))

    # ------------------------------------------------------------------ scripts

    def load_script(self, name: str, script: Script) -> LoadedScript:
        """Start afresh as the conversation test would: a new runner in its locale, its
        clock, its Alexa APIs, a skill built as the test suite builds it."""
        model = self.backend.model(script.locale)
        reminders = script.alexa is not None
        alexa = None
        if script.alexa is not None:
            setup = script.alexa
            alexa = LocalAlexaApis(
                setup.time_zone or zone_for(model.locale), setup.granted, setup.failure
            )
        elif self.backend.reminders:
            reminders = False  # a test without an alexa key runs against a skill without them
        skill = self.backend.skill_for(script.store, reminders)
        with self.lock:
            self.start(model, skill=skill, alexa=alexa, clock=script.now)
            self.script = LoadedScript(name, script)
            return self.script

    def step(self) -> tuple[ScriptTurn, int, list[Turn], list[dict[str, Any]], list[str]]:
        """The script's next turn, run by :func:`run_script` as the test suite runs it:
        the turn, its index, the turns it made, each expectation met or not, and the
        failures as the test would report them."""
        with self.lock:
            loaded = self.script
            if loaded is None:
                raise ConsoleRequestError(
                    "expected a loaded script; none is (POST .../script with a name or a text)"
                )
            if loaded.done:
                raise ConsoleRequestError(
                    f"expected a step to run; {loaded.name} has run all its "
                    f"{len(loaded.script.turns)} steps (load it again to run it again)"
                )
            index = loaded.index
            st = loaded.script.turns[index]
            talk = self.talk
            result = run_script(replace(loaded.script, turns=(st,)), talk)
            loaded.index += 1
            _, turn, _ = result.turns[0]
            failures = result.failures  # as the test suite reports them: place, words, what
            if st.user is not None:
                self.said.append(st.user)
            checks = []
            if turn is not None and st.expect:
                from skill.strings import strings_for

                strings = strings_for(talk.model.locale)
                # shown and checked in the locale's words ("Call 999 now", not "{number}")
                for text, expect in expectations_of(localize(st.expect, strings)):
                    key = next(iter(expect))
                    missed = check_turn(turn, expect)
                    checks.append(
                        {
                            "text": text,
                            "key": key,
                            "met": not missed,
                            "detail": "; ".join(missed) if missed else what_came(turn, key),
                        }
                    )
            return st, index, [turn] if turn is not None else [], checks, failures

    # ------------------------------------------------------------------ what the page sees

    def memory(self) -> tuple[list[str], str]:
        """What the store keeps for the runner, as the skill reads it on the simulated day:
        a line a check-in, and a note (consent, where, or why nothing)."""
        if self.store is None:
            return [], "no check-in store (LEGCHECK_DB=off): nothing is kept"
        memory = self.talk.memory()
        where = self.store.describe()
        if memory.problem is not None:
            return [], f"the {where} could not be read: {memory.problem}"
        record = memory.recall()
        lines = [
            f"{c.day} {', '.join(c.features) or '(no symptoms)'} -> {c.cause} ({c.level})"
            for c in record.checkins
        ]
        if record.empty:
            return lines, f"nothing is kept for this runner in the {where}"
        return lines, (
            f"consent {record.consent.value}; {len(lines)} check-in"
            f"{'' if len(lines) == 1 else 's'} kept in the {where}, as of {memory.today}"
        )

    def state(self) -> dict[str, Any]:
        """The contract's STATE."""
        with self.lock:
            talk = self.talk
            memory, note = self.memory()
            apis = self.apis
            loaded = self.script
            return {
                "locale": talk.model.locale,
                "device": self.device.id,
                "sessionOpen": talk.in_session,
                "clock": talk.now().isoformat(timespec="seconds"),
                "user": talk.user_id,
                "permissionGranted": None if apis is None else apis.granted,
                "askingPermission": talk.asked_permission is not None,
                "reminders": [reminder_json(r) for r in apis.reminders] if apis else [],
                "memory": memory,
                "memoryNote": note,
                "said": list(self.said),
                "script": None
                if loaded is None
                else {
                    "name": loaded.name,
                    "next": loaded.index,
                    "steps": len(loaded.script.turns),
                    "done": loaded.done,
                },
            }


def read_script_text(text: str, filename: str) -> Script:
    """A conversation test (``.yaml``) or ASK CLI replay file (``.json``) sent as text, read
    by :func:`read_script`; its problems name ``filename``, not the temporary file."""
    name = Path(filename).name
    if not name or name != filename or Path(name).suffix not in SCRIPT_SUFFIXES:
        raise ConsoleRequestError(
            f"expected filename to be a file name ending in {', '.join(SCRIPT_SUFFIXES)}; "
            f"got {filename!r}"
        )
    with tempfile.TemporaryDirectory(prefix="legcheck-console-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            script = read_script(path)
        except DataError as exc:
            raise DataError([p.replace(str(path), name) for p in exc.problems]) from exc
    return replace(script, path=name)
