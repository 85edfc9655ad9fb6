"""Scripted conversations: the ASK CLI's replay files, and Leg Check's test format on top.

An ASK CLI replay file (``ask dialog --replay FILE``) is JSON::

    {"skillId": "amzn1.ask.skill....", "locale": "en-US", "type": "text",
     "userInput": ["open leg check", "my calves are twitching", "no", ".quit"]}

A conversation test is YAML: the same utterances as a list of turns, each
with what must come of it, plus turns that move the simulated clock::

    description: Twitching calves after a run point to low electrolytes.
    turns:
      - user: open leg check
        expect:
          request: LaunchRequest
          speech_contains: How do your legs feel
      - user: my calves are twitching
        expect:
          intent: ReportSymptomsIntent
          slots: {Sensation: twitching, BodyPart: lower_legs}
          session: {pending: lasts_days}
          should_end_session: false
      - advance_days: 3

A conversation that tries the next-day reminder gives the simulated Alexa APIs
(:class:`~skill.tools.simulator.alexa_apis.LocalAlexaApis`) and, for times that can be
checked, a fixed start::

    now: "2026-11-24T00:07:00Z"            # 7:07 PM the evening before in New York
    alexa: {time_zone: America/New_York, permission: not_granted}
    turns:
      - user: yes                           # to "Would you like a reminder ...?"
        expect: {asks_permission: true}
      - user: I approve                     # to Alexa's own permission question
        expect:
          request: Connections.Response
          reminder: {at: "2026-11-24T19:00:00", zone: America/New_York}
      - permission: grant                   # or revoke: as in the Alexa app
      - consent: none                       # Alexa's question left unanswered

:func:`ask_replay_of` turns a conversation test into an ASK CLI replay file
(clock, permission and consent turns cannot be replayed against the real skill and are left
out).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from skill.errors import DataError
from skill.strings import LocaleStrings, strings_for
from skill.tools.envelopes import DEFAULT_SKILL_ID
from skill.tools.simulator.alexa_apis import LocalAlexaApis, ReceivedReminder, zone_for
from skill.tools.simulator.conversation import Conversation, Turn

EXPECT_KEYS = {
    "request": "the request type sent: LaunchRequest, IntentRequest or SessionEndedRequest; "
    "null when Alexa keeps the words to herself",
    "intent": "the intent name sent",
    "new_session": "true when the request started a new session",
    "slots": "slot name to the resolved value id; null for an empty slot; "
    "{value: words, id: null} for words that matched no value",
    "speech": "the whole speech, as text",
    "speech_contains": "text (or a list) the speech must contain, case-insensitive",
    "speech_not_contains": "text (or a list) the speech must not contain, case-insensitive",
    "reprompt_contains": "text (or a list) the reprompt must contain, case-insensitive",
    "card_title": "the card's title",
    "card_contains": "text (or a list) the card's content must contain, case-insensitive",
    "no_card": "true when no card may be shown",
    "session": "session attribute to expected value, after the turn; null for absent",
    "should_end_session": "the response's shouldEndSession",
    "asks_permission": "true when the response asks for the reminders permission by voice",
    "permission_card": "true when the response shows the card to grant the permission",
    "reminder": "the reminder the simulated Reminders API received this turn ({at, zone, "
    "in_seconds, text, locale, push}); null for none",
}
TURN_KEYS = {
    "user",
    "expect",
    "advance_days",
    "advance_hours",
    "note",
    "consent",
    "permission",
}
TOP_KEYS = {"description", "locale", "store", "turns", "skillId", "type", "now", "alexa"}
ALEXA_KEYS = {"time_zone", "permission", "failure"}
CONSENT_ANSWERS = {"accept": "ACCEPTED", "deny": "DENIED", "none": "NOT_ANSWERED"}
"""A ``consent`` turn's answer to Alexa's permission question, and the status it sends."""
PERMISSION_CHANGES = {"grant": True, "revoke": False}
REMINDER_KEYS = {"at", "zone", "in_seconds", "text", "locale", "push"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true and false, so ``user: no`` is the word "no"."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """YAML as the conversation tests read it: only true and false are booleans."""
    return yaml.load(text, Loader=_Loader)


def read_text(path: Path) -> str:
    """A file's text; :class:`DataError` in one line when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError([f"{path}: no such file"]) from exc
    except IsADirectoryError as exc:
        raise DataError([f"{path}: is a folder, not a file"]) from exc
    except OSError as exc:
        raise DataError([f"{path}: cannot be read: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc


@dataclass(frozen=True)
class AskReplay:
    """An ASK CLI replay file: what ``ask dialog --replay`` reads."""

    skill_id: str
    locale: str
    user_input: tuple[str, ...]

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "skillId": self.skill_id,
                    "locale": self.locale,
                    "type": "text",
                    "userInput": list(self.user_input),
                },
                indent=2,
            )
            + "\n"
        )


def read_ask_replay(path: Path) -> AskReplay:
    """Read and check a replay file with the ASK CLI's own rules."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]) from exc
    problems = []
    if not isinstance(data, dict):
        raise DataError(
            [f"{path}: expected a JSON object with skillId, locale, type and userInput"]
        )
    for key in ("skillId", "locale"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(f"{path}:$.{key}: the replay file must contain {key}")
    if data.get("type", "text") != "text":
        problems.append(f'{path}:$.type: expected "text", got {data.get("type")!r}')
    inputs = data.get("userInput")
    if not isinstance(inputs, list) or not inputs:
        problems.append(f"{path}:$.userInput: expected a non-empty list of utterances")
        inputs = []
    for i, item in enumerate(inputs):
        if not isinstance(item, str) or not item.strip():
            problems.append(f"{path}:$.userInput[{i}]: userInput cannot contain an empty string")
    if problems:
        raise DataError(problems)
    return AskReplay(
        data["skillId"].strip(), data["locale"].strip(), tuple(str(i).strip() for i in inputs)
    )


@dataclass(frozen=True)
class ScriptTurn:
    """One turn of a conversation test: words said (with expectations), time passing, an
    answer to Alexa's permission question (``consent``), or the permission granted or taken
    back in the Alexa app (``permission``)."""

    place: str
    user: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    advance_days: float = 0.0
    advance_hours: float = 0.0
    consent: str | None = None
    """``ACCEPTED``, ``DENIED`` or ``NOT_ANSWERED``."""
    permission: bool | None = None


@dataclass(frozen=True)
class AlexaSetup:
    """The simulated Alexa APIs a conversation test talks to (its ``alexa`` key)."""

    time_zone: str | None = None
    """None: the zone of a device in the conversation's market."""
    granted: bool = False
    failure: int | None = None


@dataclass(frozen=True)
class Script:
    path: str
    description: str
    locale: str
    store: bool
    turns: tuple[ScriptTurn, ...]
    now: datetime | None = None
    """The simulated time at the start; None: the real time."""
    alexa: AlexaSetup | None = None
    """The simulated Alexa APIs, and a skill that offers reminders; None: neither."""

    @property
    def utterances(self) -> list[str]:
        return [t.user for t in self.turns if t.user is not None]


def _check_expect(expect: Any, place: str) -> list[str]:
    if not isinstance(expect, dict):
        return [f"{place}.expect: expected a mapping of {sorted(EXPECT_KEYS)}"]
    problems = []
    for key in expect:
        if key not in EXPECT_KEYS:
            problems.append(
                f"{place}.expect.{key}: unknown expectation; expected one of {sorted(EXPECT_KEYS)}"
            )
    for key in ("slots", "session"):
        if key in expect and not isinstance(expect[key], dict):
            problems.append(f"{place}.expect.{key}: expected a mapping")
    for key in ("should_end_session", "new_session", "no_card", "asks_permission"):
        if key in expect and not isinstance(expect[key], bool):
            problems.append(f"{place}.expect.{key}: expected true or false")
    if "permission_card" in expect and not isinstance(expect["permission_card"], bool):
        problems.append(f"{place}.expect.permission_card: expected true or false")
    reminder = expect.get("reminder")
    if reminder is not None and not (isinstance(reminder, dict) and set(reminder) <= REMINDER_KEYS):
        problems.append(
            f"{place}.expect.reminder: expected null or a mapping of {sorted(REMINDER_KEYS)}"
        )
    return problems


def _read_alexa(value: Any, place: str) -> tuple[AlexaSetup | None, list[str]]:
    if value is None:
        return None, []
    if not isinstance(value, dict) or not set(value) <= ALEXA_KEYS:
        return None, [f"{place}: expected a mapping of {sorted(ALEXA_KEYS)}"]
    problems = []
    zone = value.get("time_zone")
    if zone is not None and not isinstance(zone, str):
        problems.append(f"{place}.time_zone: expected a time zone id such as Europe/London")
    permission = value.get("permission", "not_granted")
    if permission not in ("granted", "not_granted"):
        problems.append(f"{place}.permission: expected granted or not_granted, got {permission!r}")
    failure = value.get("failure")
    if failure is not None and not (isinstance(failure, int) and 300 <= failure <= 599):
        problems.append(f"{place}.failure: expected an HTTP status from 300 to 599")
    return AlexaSetup(zone, permission == "granted", failure), problems


def _read_now(value: Any, place: str) -> tuple[datetime | None, list[str]]:
    if value is None:
        return None, []
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        return None, [f"{place}: expected a date and time with its zone, got {value!r}"]
    return moment.astimezone(UTC), []


def read_script(path: Path) -> Script:
    """Read a conversation test (YAML), or an ASK CLI replay file (JSON) with no expectations."""
    if path.suffix == ".json":
        replay = read_ask_replay(path)
        turns = tuple(
            ScriptTurn(f"{path}:$.userInput[{i}]", user=u)
            for i, u in enumerate(replay.user_input)
            if u != ".quit"
        )
        return Script(str(path), f"ASK CLI replay file {path.name}", replay.locale, True, turns)
    try:
        data = load_yaml(read_text(path))
    except yaml.YAMLError as exc:
        raise DataError([f"{path}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise DataError([f"{path}: expected a mapping with description and turns"])
    problems = [
        f"{path}:$.{k}: unknown key; expected one of {sorted(TOP_KEYS)}"
        for k in data
        if k not in TOP_KEYS
    ]
    if not isinstance(data.get("description"), str) or not data["description"].strip():
        problems.append(f"{path}:$.description: say what the conversation checks")
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        problems.append(f"{path}:$.turns: expected a non-empty list of turns")
        raw_turns = []
    parsed: list[ScriptTurn] = []
    for i, item in enumerate(raw_turns):
        place = f"{path}:$.turns[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{place}: expected a mapping with user or advance_days")
            continue
        problems.extend(
            f"{place}.{k}: unknown key; expected one of {sorted(TURN_KEYS)}"
            for k in item
            if k not in TURN_KEYS
        )
        user = item.get("user")
        advancing = "advance_days" in item or "advance_hours" in item
        kinds = (user is not None) + advancing + ("consent" in item) + ("permission" in item)
        if kinds != 1:
            problems.append(
                f"{place}: expected either user (words said) or advance_days / "
                "advance_hours (time passing), or consent (accept, deny or none) or "
                "permission (grant or revoke)"
            )
            continue
        if "consent" in item or "permission" in item:
            consent = CONSENT_ANSWERS.get(str(item.get("consent")))
            permission = PERMISSION_CHANGES.get(str(item.get("permission")))
            if consent is None and permission is None:
                problems.append(
                    f"{place}: expected consent: accept, deny or none, or permission: grant "
                    "or revoke"
                )
                continue
            expect = item.get("expect", {})
            problems.extend(_check_expect(expect, place))
            parsed.append(
                ScriptTurn(
                    place,
                    expect=expect if isinstance(expect, dict) else {},
                    consent=consent,
                    permission=permission,
                )
            )
            continue
        if user is not None and (not isinstance(user, str) or not user.strip()):
            problems.append(f"{place}.user: expected the words said, as text")
            continue
        expect = item.get("expect", {})
        problems.extend(_check_expect(expect, place))
        days, hours = item.get("advance_days", 0), item.get("advance_hours", 0)
        if not all(isinstance(n, int | float) and n >= 0 for n in (days, hours)):
            problems.append(f"{place}: advance_days and advance_hours must be numbers >= 0")
            continue
        parsed.append(
            ScriptTurn(
                place, user, expect if isinstance(expect, dict) else {}, float(days), float(hours)
            )
        )
    store = data.get("store", True)
    if not isinstance(store, bool):
        problems.append(f"{path}:$.store: expected true (keep check-ins) or false")
    alexa, alexa_problems = _read_alexa(data.get("alexa"), f"{path}:$.alexa")
    now, now_problems = _read_now(data.get("now"), f"{path}:$.now")
    problems += alexa_problems + now_problems
    if alexa is None and any(t.consent or t.permission is not None for t in parsed):
        problems.append(f"{path}:$.alexa: consent and permission turns need the Alexa APIs")
    if problems:
        raise DataError(problems)
    return Script(
        str(path),
        data["description"].strip(),
        str(data.get("locale", "en-US")),
        bool(store),
        tuple(parsed),
        now,
        alexa,
    )


def ask_replay_of(script: Script, skill_id: str = DEFAULT_SKILL_ID) -> AskReplay:
    """The ASK CLI replay file for a conversation test (its utterances, then .quit)."""
    return AskReplay(skill_id, script.locale, (*script.utterances, ".quit"))


def _texts(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def check_turn(turn: Turn, expect: dict[str, Any]) -> list[str]:
    """Every way the turn differs from what was expected (empty when it matches)."""
    failures: list[str] = []
    sent = turn.resolution
    if "request" in expect and sent.request_type != expect["request"]:
        failures.append(
            f"expected a {expect['request']}, Alexa sent "
            f"{sent.request_type or 'nothing to the skill'} ({sent.describe()})"
        )
    if "intent" in expect and sent.intent != expect["intent"]:
        failures.append(
            f"expected intent {expect['intent']}, got {sent.intent} ({sent.describe()})"
        )
    if "new_session" in expect and sent.new_session != expect["new_session"]:
        failures.append(f"expected new_session {expect['new_session']}, got {sent.new_session}")
    for name, want in (expect.get("slots") or {}).items():
        got = sent.slot(name)
        if want is None:
            if got is not None:
                failures.append(f"expected slot {name} empty, got {got.value!r}")
            continue
        if got is None:
            failures.append(f"expected slot {name} filled, it is empty ({sent.describe()})")
            continue
        if isinstance(want, dict):
            if "value" in want and _norm(str(want["value"])) != _norm(got.value):
                failures.append(f"expected slot {name} words {want['value']!r}, got {got.value!r}")
            if "id" in want and want["id"] != got.resolved_id:
                failures.append(f"expected slot {name} id {want['id']!r}, got {got.resolved_id!r}")
        elif str(want) != got.resolved_id:
            failures.append(
                f"expected slot {name} to resolve to {want!r}, got "
                f"{got.resolved_id!r} from {got.value!r}"
            )
    if not turn.routed:
        if any(
            k in expect
            for k in (
                "speech",
                "speech_contains",
                "session",
                "should_end_session",
                "card_title",
                "card_contains",
                "asks_permission",
                "permission_card",
                "reminder",
            )
        ):
            failures.append(f"expected the skill to answer, but {sent.note}")
        return failures
    if (
        "asks_permission" in expect
        and (turn.asks_permission is not None) != expect["asks_permission"]
    ):
        failures.append(
            f"expected asks_permission {expect['asks_permission']}, the response "
            + ("asks" if turn.asks_permission is not None else "does not ask")
        )
    if "permission_card" in expect and bool(turn.permission_card) != expect["permission_card"]:
        failures.append(
            f"expected permission_card {expect['permission_card']}, got "
            f"{turn.permission_card or 'none'}"
        )
    if "reminder" in expect:
        failures += _reminder_failures(turn.reminders, expect["reminder"])
    speech = _norm(turn.speech)
    if "speech" in expect and speech != _norm(str(expect["speech"])):
        failures.append(f"expected speech {expect['speech']!r}, heard {turn.speech!r}")
    for text in _texts(expect.get("speech_contains", [])):
        if _norm(text) not in speech:
            failures.append(f"expected speech containing {text!r}, heard {turn.speech!r}")
    for text in _texts(expect.get("speech_not_contains", [])):
        if _norm(text) in speech:
            failures.append(f"expected speech without {text!r}, heard {turn.speech!r}")
    for text in _texts(expect.get("reprompt_contains", [])):
        if _norm(text) not in _norm(turn.reprompt):
            failures.append(f"expected reprompt containing {text!r}, got {turn.reprompt!r}")
    card = turn.card
    if expect.get("no_card") and card is not None:
        failures.append(f"expected no card, got {card[0]!r}")
    if "card_title" in expect and (card is None or card[0] != expect["card_title"]):
        failures.append(
            f"expected card title {expect['card_title']!r}, got {card[0] if card else 'no card'!r}"
        )
    for text in _texts(expect.get("card_contains", [])):
        if card is None or _norm(text) not in _norm(card[1]):
            failures.append(
                f"expected card containing {text!r}, got {card[1] if card else 'no card'!r}"
            )
    attrs = turn.session_attributes
    for key, want in (expect.get("session") or {}).items():
        got_value = attrs.get(key)
        if got_value != want:
            failures.append(
                f"expected session attribute {key} = {json.dumps(want)}, got "
                f"{json.dumps(got_value)}"
            )
    if "should_end_session" in expect and turn.should_end_session != expect["should_end_session"]:
        failures.append(
            f"expected shouldEndSession {expect['should_end_session']}, got "
            f"{turn.should_end_session}"
        )
    return failures


def _reminder_failures(got: list[ReceivedReminder], want: dict[str, Any] | None) -> list[str]:
    """How the reminders created in a turn differ from the one expected (None: none)."""
    if want is None:
        return [f"expected no reminder, one was set: {r.describe()}" for r in got]
    if len(got) != 1:
        return [f"expected one reminder set this turn, got {len(got)}"]
    reminder = got[0]
    found = {
        "at": reminder.scheduled,
        "zone": reminder.zone,
        "in_seconds": reminder.offset_seconds,
        "text": reminder.text,
        "locale": reminder.locale,
        "push": reminder.push,
    }
    return [
        f"expected the reminder's {key} {value!r}, got {found[key]!r}"
        for key, value in want.items()
        if found[key] != value
    ]


@dataclass
class ScriptResult:
    script: Script
    turns: list[tuple[ScriptTurn, Turn | None, list[str]]] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [f"{st.place} ({st.user!r}): {f}" for st, _, fails in self.turns for f in fails]

    @property
    def ok(self) -> bool:
        return not self.failures


PLACEHOLDER = re.compile(r"\{(number|doctor|(\w+)\.(\w+))\}")


def localize(value: Any, strings: LocaleStrings) -> Any:
    """Expectations in the locale's words: ``{number}`` (the emergency number),
    ``{doctor}``, and ``{section.key}`` for any of the locale's strings
    (``{advice.urgent_care}``), so one conversation file runs in every locale."""
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            if match.group(1) == "number":
                return strings.emergency_number
            if match.group(1) == "doctor":
                return strings.doctor
            section = strings.data.get(match.group(2), {})
            text = section.get(match.group(3)) if isinstance(section, dict) else None
            return strings.fill(text) if isinstance(text, str) else match.group(0)

        return PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [localize(v, strings) for v in value]
    if isinstance(value, dict):
        return {k: localize(v, strings) for k, v in value.items()}
    return value


def run_script(
    script: Script,
    conversation: Conversation,
    on_turn: Callable[[ScriptTurn, Turn | None, list[str]], None] | None = None,
) -> ScriptResult:
    """Say every turn of the script, check each against its expectations."""
    result = ScriptResult(script)
    for st in script.turns:
        entry: tuple[ScriptTurn, Turn | None, list[str]]
        if st.permission is not None:
            conversation.grant(st.permission)
            entry = (st, None, [])
        elif st.consent is not None:
            turn = conversation.answer_permission(st.consent)
            expect = localize(st.expect, strings_for(conversation.model.locale))
            entry = (st, turn, check_turn(turn, expect))
        elif st.user is None:
            ended = conversation.advance(days=st.advance_days, hours=st.advance_hours)
            entry = (st, ended, [])
        else:
            turn = conversation.say(st.user)
            expect = localize(st.expect, strings_for(conversation.model.locale))
            entry = (st, turn, check_turn(turn, expect))
        result.turns.append(entry)
        if on_turn is not None:
            on_turn(*entry)
    return result


@contextmanager
def alexa_apis_for(script: Script, locale: str | None = None) -> Iterator[LocalAlexaApis | None]:
    """The simulated Alexa APIs the script asks for, running (None when it asks for none);
    the device's zone is the script's, or that of a device in ``locale`` (default: the
    script's)."""
    setup = script.alexa
    if setup is None:
        yield None
        return
    zone = setup.time_zone or zone_for(locale or script.locale)
    with LocalAlexaApis(zone, setup.granted, setup.failure) as apis:
        yield apis


def discover(folder: Path) -> list[Path]:
    """The conversation files in a folder: YAML tests and ASK CLI replay files."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
    )


def utterances_of(paths: Iterable[Path]) -> list[str]:
    out: list[str] = []
    for path in paths:
        out.extend(read_script(path).utterances)
    return out
