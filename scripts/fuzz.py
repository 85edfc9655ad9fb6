"""Fuzz the web endpoint in-process: mutated Alexa request envelopes through the Flask test client.

Each request starts from a real envelope (a launch, one-shot reports, answers mid-dialog with the
session attributes a real conversation left, every built-in intent, session ends, skill events,
request types the skill does not know), then gets one to four mutations: keys deleted, values
swapped for other JSON types (huge numbers, long or odd Unicode text, NUL characters, deep
nesting), slots with odd entity resolutions, session attributes of the wrong shape, or the body's
bytes cut, flipped or wrapped. Every answer is sorted into:

- **5xx**: a server error (the target is none);
- **invalid**: a 200 whose body Alexa would refuse (the JSON Schema in
  ``tests/schemas/alexa-response.schema.json`` and ``skill.limits``; the target is none);
- **skill error**: a valid 200, but something failed inside the skill and was logged (mostly
  the skill's own catch-all apology; sometimes the web layer's apology for a response Alexa
  would refuse, or a degraded answer): listed by exception and place, with the mutation that
  caused it, for the handlers' owner;
- **refused**: a 4xx with a one-line reason (input that is not a sane Alexa request);
- **ok**: a valid answer with nothing logged at ERROR.

    .venv/bin/python scripts/fuzz.py [-n 10000] [--seed 9] [--verify] [--examples 2]
                                     [--write-docs]

With ``--verify`` the app verifies requests and each mutated body is signed with the test PKI
(``tests/support/certs.py``), so the mutations reach the skill through the verified path. Exits 1
when any request got a 5xx or an invalid response. With ``--write-docs`` what it printed also
replaces its section of ``docs/performance.md`` (one for each of ``--verify`` and without; see
:mod:`skill.tools.docs`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from skill.app import build_skill  # noqa: E402
from skill.handlers import HANDLED_INTENTS  # noqa: E402
from skill.history import retention  # noqa: E402
from skill.knowledge import load_knowledge  # noqa: E402
from skill.store import SqliteStore, UserKeys  # noqa: E402
from skill.tools.docs import (  # noqa: E402
    PERFORMANCE_DOC,
    kept_output,
    refuse_without_section,
    write_section,
)
from skill.tools.envelopes import Session, SlotValue  # noqa: E402
from skill.tools.paths import REPO_ROOT  # noqa: E402
from skill.web import create_app  # noqa: E402
from tests.support.alexa_response import reply_problems  # noqa: E402

SLOTS = {  # slot name -> (slot type, resolved ids)
    "Sensation": (
        "SENSATION",
        [
            "tingling",
            "itching",
            "numbness",
            "burning",
            "twitching",
            "cramp",
            "ache",
            "pain",
            "swelling",
            "hives",
        ],
    ),
    "SecondSensation": ("SENSATION", ["tingling", "itching", "numbness", "burning"]),
    "BodyPart": (
        "BODY_PART",
        ["legs", "thighs", "lower_legs", "feet", "toes", "between_toes", "one_leg", "chest"],
    ),
    "Timing": ("TIMING", ["during_run", "after_run", "lasts_days", "fades_after_cooldown"]),
    "Modifier": ("MODIFIER", ["worse_as_run_goes_on", "cant_walk", "pain", "keeps_coming_back"]),
    "DangerSign": (
        "DANGER_SIGN",
        ["throat_tight", "breathing_trouble", "chest_pain", "calf_hot_swollen"],
    ),
}
INTENTS = [
    *sorted(HANDLED_INTENTS),
    "AMAZON.RepeatIntent",  # (Repeat twice: it replays)
    "AMAZON.PauseIntent",
    "SomebodyElsesIntent",
    "",
]
"""Every intent a handler takes (a new one is fuzzed without editing this), and some none
does."""
REQUEST_TYPES = [
    "LaunchRequest",
    "IntentRequest",
    "SessionEndedRequest",
    "CanFulfillIntentRequest",
    "AlexaSkillEvent.SkillEnabled",
    "AlexaSkillEvent.SkillDisabled",
    "AlexaSkillEvent.SkillPermissionAccepted",
    "Display.ElementSelected",
    "AudioPlayer.PlaybackStarted",
    "Connections.Response",
    "System.ExceptionEncountered",
    "Nonsense",
    "",
]
FEATURES = [
    "itching",
    "tingling",
    "legs",
    "lasts_days",
    "face_throat_breathing",
    "twitching",
    "fades_after_cooldown",
    "no_such_feature",
]
ATTRIBUTE_KEYS = ["answers", "asked", "pending", "forget", "last", "tries"]


# -- random JSON ---------------------------------------------------------------------------------


def random_text(rng: random.Random) -> str:
    choice = rng.randrange(10)
    if choice == 0:
        return ""
    if choice == 1:
        return "x" * rng.choice([1000, 9000, 30000])
    if choice == 2:
        return "".join(chr(rng.randrange(0, 0x20)) for _ in range(rng.randrange(1, 8)))
    if choice == 3:
        return rng.choice(
            [
                "<speak>",
                "</speak>",
                "a & b",
                "<break time='9s'/>",
                "]]>",
                "&amp;",
                "\u202e\u200b",
                "😀" * 50,
                "\ufffe",
                "\\ud800",
                "%s%n",
                "NaN",
            ]
        )
    if choice == 4:
        return rng.choice(FEATURES + SLOTS["Sensation"][1] + INTENTS)
    if choice == 5:
        return str(rng.randrange(-(10**6), 10**6))
    return "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz '-.") for _ in range(rng.randrange(1, 40))
    )


def random_json(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(12 if depth < 3 else 8)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 7, 2**31, 2**63, -(2**64), 10**60])
    if choice == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 3.14159, 1e-300])
    if choice in (4, 5, 6, 7):
        return random_text(rng)
    if choice in (8, 9):
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {random_text(rng)[:20]: random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def nested(rng: random.Random, depth: int) -> Any:
    value: Any = random_json(rng, 3)
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


# -- the envelopes mutations start from --------------------------------------------------------


def slot_values(rng: random.Random) -> list[SlotValue]:
    out = []
    for name in rng.sample(sorted(SLOTS), rng.randrange(0, 4)):
        slot_type, ids = SLOTS[name]
        resolved = rng.choice(ids) if rng.random() < 0.8 else None
        words = resolved.replace("_", " ") if resolved else random_text(rng)[:30] or "hm"
        out.append(SlotValue(name, words, resolved, slot_type=slot_type))
    return out


def dialog_states(client: Any) -> list[dict[str, Any]]:
    """Session attributes real conversations leave behind, collected through the endpoint."""
    states: list[dict[str, Any]] = [{}]
    scripts: list[list[tuple[str, list[SlotValue]]]] = [
        [
            (
                "ReportSymptomsIntent",
                [
                    SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
                    SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART"),
                ],
            ),
            ("AMAZON.NoIntent", []),
            ("AMAZON.YesIntent", []),
        ],
        [
            (
                "ReportSymptomsIntent",
                [SlotValue("Sensation", "twitching", "twitching", slot_type="SENSATION")],
            ),
            ("AMAZON.RepeatIntent", []),
            ("AMAZON.HelpIntent", []),
            ("AMAZON.NoIntent", []),
        ],
        [("AMAZON.HelpIntent", []), ("AMAZON.FallbackIntent", []), ("ForgetMeIntent", [])],
    ]
    for script in scripts:
        session = Session()
        for intent, slots in script:
            reply = client.post("/", json=session.intent(intent, slots))
            body = reply.get_json(silent=True) or {}
            if body.get("sessionAttributes"):
                states.append(dict(body["sessionAttributes"]))
            if not session.absorb(body):
                break
    return states


def base_envelope(rng: random.Random, states: list[dict[str, Any]]) -> dict[str, Any]:
    session = Session(
        attributes=json.loads(json.dumps(rng.choice(states))),
        new=rng.random() < 0.3,
        user_id=f"amzn1.ask.account.FUZZ{rng.randrange(8)}",
    )
    kind = rng.randrange(10)
    if kind == 0:
        return session.launch()
    if kind == 1:
        return session.session_ended(
            rng.choice(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"])
        )
    if kind == 2:
        envelope = session.launch()
        envelope["request"]["type"] = rng.choice(REQUEST_TYPES)
        if envelope["request"]["type"].startswith("AlexaSkillEvent.") and rng.random() < 0.7:
            del envelope["session"]  # as Alexa sends skill events
        return envelope
    intent = rng.choice(INTENTS)
    slots = slot_values(rng) if intent in ("ReportSymptomsIntent", "AnswerIntent") else []
    return session.intent(intent, slots, slot_names=sorted(SLOTS) if slots else None)


# -- mutations -----------------------------------------------------------------------------------

Path_ = list[Any]


def paths(value: Any, prefix: Path_ | None = None) -> list[Path_]:
    prefix = prefix or []
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, [*prefix, key])
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += paths(child, [*prefix, index])
    return out


def get_at(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def set_at(value: Any, path: Path_, new: Any) -> None:
    get_at(value, path[:-1])[path[-1]] = new


def mutate_delete(rng: random.Random, env: dict[str, Any]) -> str:
    path = rng.choice(paths(env)[1:])
    parent = get_at(env, path[:-1])
    del parent[path[-1]]
    return f"deleted {path_name(path)}"


def mutate_replace(rng: random.Random, env: dict[str, Any]) -> str:
    path = rng.choice(paths(env)[1:])
    new = random_json(rng)
    set_at(env, path, new)
    return f"set {path_name(path)} to {short(new)}"


DEEP = "__legcheck_fuzz_deep_{}__"  # stands in for nesting too deep for json.dumps


def mutate_nest(rng: random.Random, env: dict[str, Any]) -> str:
    path = rng.choice(paths(env)[1:])
    depth = rng.choice([5, 20, 70, 500, 5000])
    set_at(env, path, nested(rng, depth) if depth < 100 else DEEP.format(depth))
    return f"nested {path_name(path)} {depth} deep"


def encode(envelope: dict[str, Any]) -> bytes:
    """The envelope as JSON, with the deep stand-ins written out as the nesting they name."""
    text = json.dumps(envelope)
    for depth in (500, 5000):
        token = json.dumps(DEEP.format(depth))
        if token in text:
            text = text.replace(token, '{"k": ' * depth + "1" + "}" * depth)
    return text.encode("utf-8")


def mutate_request(rng: random.Random, env: dict[str, Any]) -> str:
    request = env.setdefault("request", {})
    if not isinstance(request, dict):
        return "request not an object"
    field = rng.choice(["type", "locale", "timestamp", "requestId", "dialogState", "reason"])
    value: Any
    if field == "type":
        value = rng.choice(REQUEST_TYPES)
    elif field == "locale":
        value = rng.choice(["en-US", "en-GB", "de-DE", "xx-XX", "", "en", None, 7, "EN-us"])
    elif field == "timestamp":
        value = rng.choice(
            [
                "2024-13-01T00:00:00Z",
                "9999-12-31T23:59:59-01:00",
                "yesterday",
                "",
                1714564800000,
                "0001-01-01T00:00:00Z",
                datetime.now(UTC).isoformat(),
            ]
        )
    else:
        value = random_json(rng)
    request[field] = value
    return f"set request.{field} to {short(value)}"


def mutate_slots(rng: random.Random, env: dict[str, Any]) -> str:
    request = env.get("request")
    if not isinstance(request, dict):
        return "no request"
    request["type"] = "IntentRequest"
    intent = request.setdefault(
        "intent", {"name": "ReportSymptomsIntent", "confirmationStatus": "NONE"}
    )
    if not isinstance(intent, dict):
        return "intent not an object"
    intent["name"] = rng.choice(["ReportSymptomsIntent", "AnswerIntent"])
    name = rng.choice(sorted(SLOTS))
    slot_type, ids = SLOTS[name]
    authority: dict[str, Any] = {
        "authority": f"amzn1.er-authority.echo-sdk.x.{slot_type}",
        "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [{"value": {"name": ids[0], "id": rng.choice(ids)}}],
    }
    kind = rng.randrange(8)
    what: str
    if kind == 0:
        authority["values"] = []
        what = "an ER_SUCCESS_MATCH with an empty values list"
    elif kind == 1:
        del authority["values"]
        what = "an ER_SUCCESS_MATCH without values"
    elif kind == 2:
        code = rng.choice(
            ["ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT", "ER_ERROR_EXCEPTION", "BOGUS"]
        )
        authority["status"] = {"code": code}
        what = f"status {code}"
    elif kind == 3:
        authority["values"] = [{"value": {"name": "x"}}]
        what = "a value without an id"
    elif kind == 4:
        authority["values"] = [{"value": {"name": "x", "id": random_json(rng)}}]
        what = "a value with an odd id"
    elif kind == 5:
        del authority["status"]
        what = "a resolution without a status"
    else:
        what = "a well-formed resolution with odd words"
    slot = {
        "name": name,
        "value": random_text(rng) or "x",
        "confirmationStatus": "NONE",
        "resolutions": {"resolutionsPerAuthority": [authority]},
    }
    if kind == 7:
        slot["value"] = random_json(rng)
        what = f"slot value {short(slot['value'])}"
    slots = intent.setdefault("slots", {})
    if isinstance(slots, dict):
        slots[name] = slot
    return f"slot {name}: {what}"


def mutate_attributes(rng: random.Random, env: dict[str, Any]) -> str:
    session = env.setdefault("session", Session().envelope({})["session"])
    if not isinstance(session, dict):
        return "session not an object"
    attributes = session.setdefault("attributes", {})
    if not isinstance(attributes, dict):
        attributes = session["attributes"] = {}
    key = rng.choice([*ATTRIBUTE_KEYS, "unknown"])
    choice = rng.randrange(4)
    value: Any
    if key == "unknown" and choice == 0:
        value = "y" * rng.choice([1000, 15000, 20000])
    elif key == "pending" and choice < 2:
        value = rng.choice(FEATURES + [5, 0, True, ["itching"], {"a": 1}])
    elif key == "answers" and choice < 2:
        value = rng.choice(
            [
                {"itching": "yes"},
                {"5": True},
                ["itching"],
                "itching",
                {"no_such_feature": True},
                {"": None},
            ]
        )
    elif key == "asked" and choice < 2:
        value = rng.choice([["itching", 5], "itching", {"a": 1}, [None], list(FEATURES) * 3])
    elif key == "last" and choice < 2:
        value = rng.choice(
            [
                {"speech": ["\x00hello"]},
                {"speech": "abc"},
                {"speech": [5]},
                {"speech": ["hello\x07"], "reprompt": ["\x00"]},
                {"speech": ["a"] * 3000},
                {"speech": ["<speak>"], "reprompt": []},
                {"speech": ["x" * 9000]},
                {"speech": []},
                {"reprompt": ["a"]},
                "hello",
                {"speech": [None], "reprompt": None},
            ]
        )
    elif key == "tries" and choice < 2:
        value = rng.choice(["x", 10**30, -1, None, [1], 1.5])
    else:
        value = random_json(rng)
    attributes[key] = value
    return f"set session.attributes.{key} to {short(value)}"


MUTATIONS: list[tuple[float, Callable[[random.Random, dict[str, Any]], str]]] = [
    (3, mutate_replace),
    (2, mutate_delete),
    (1, mutate_nest),
    (2, mutate_request),
    (3, mutate_slots),
    (4, mutate_attributes),
]


def mutate_bytes(rng: random.Random, body: bytes) -> tuple[bytes, str]:
    kind = rng.randrange(6)
    if kind == 0:
        cut = rng.randrange(len(body))
        return body[:cut], f"cut the body at byte {cut}"
    if kind == 1:
        at = rng.randrange(len(body))
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1 :], f"changed byte {at}"
    if kind == 2:
        depth = rng.choice([65, 990, 5000, 100000])
        return b"[" * depth + body + b"]" * depth, f"wrapped the body in {depth} arrays"
    if kind == 3:
        return body.replace(b'"', b"'", 3), "swapped quotes"
    if kind == 4:
        return b"\xef\xbb\xbf" + body, "a byte-order mark"
    return body + b" " + body, "two envelopes"


def path_name(path: Path_) -> str:
    return ".".join(str(step) for step in path) or "(root)"


def short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else f"{text[:57]}..."


# -- running -----------------------------------------------------------------------------------


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def failure_class(record: logging.LogRecord) -> tuple[str, str]:
    """An error record's class (exception type and where it was raised) and its message.

    The place is the innermost frame in Leg Check's own code, then the innermost frame of all
    when that is elsewhere (the SDK, the standard library).
    """
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [
            f
            for f in frames
            if f"{Path('skill')}" in f.filename and "site-packages" not in f.filename
        ]
        places = []
        for frame in ([ours[-1]] if ours else []) + ([frames[-1]] if frames else []):
            place = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
            if place not in places:
                places.append(place)
        return (
            f"{type(exc).__name__} at {' / '.join(places) or '?'} [{record.name}]",
            f"{type(exc).__name__}: {str(exc)[:120]}",
        )
    message = record.getMessage()
    if "would be refused by Alexa: " in message:  # the web layer's guard, by its reasons
        reasons = message.split("would be refused by Alexa: ", 1)[1].split("; answered")[0]
        kinds = sorted({re.sub(r"\d+", "N", r.split(", got")[0]) for r in reasons.split("; ")})
        return f"response refused by the web guard: {'; '.join(kinds)} [{record.name}]", reasons
    return f"{re.sub(r'request [^ ]+', 'request ID', message)[:200]} [{record.name}]", ""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--verify", action="store_true", help="verify requests, signing each with the test PKI"
    )
    parser.add_argument(
        "--examples", type=int, default=2, help="example mutations shown per failure class"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also write what it printed into {PERFORMANCE_DOC.relative_to(REPO_ROOT)}, "
        "between the markers of this mode (with --verify or without)",
    )
    args = parser.parse_args()
    section = "scripts/fuzz.py --verify" if args.verify else "scripts/fuzz.py"
    if args.write_docs and refuse_without_section("scripts/fuzz.py", PERFORMANCE_DOC, section):
        return 2
    with kept_output() as printed:
        failed = fuzz(args)
    if args.write_docs:
        invoked = " ".join(["scripts/fuzz.py", *sys.argv[1:]])
        write_section(PERFORMANCE_DOC, section, invoked, printed.getvalue())
    return failed


def fuzz(args: argparse.Namespace) -> int:
    """Send the mutated requests, print what came back; 1 if any got a 5xx or was invalid."""

    rng = random.Random(args.seed)
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    root.setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        keys = UserKeys("fuzz-" + "x" * 16)
        store = SqliteStore(Path(tmp) / "fuzz.sqlite3", keys, retention(load_knowledge()))
        skill = build_skill(store)
        config: dict[str, Any] = {"LEGCHECK_SKILL": skill, "LEGCHECK_VERIFY": False}
        sign: Callable[[bytes], dict[str, str]] = lambda body: {}  # noqa: E731
        if args.verify:
            from tests.support.certs import CERT_URL, SKILL_ID, headers_for, shared_pki

            pki = shared_pki()
            config = {
                "LEGCHECK_SKILL": skill,
                "LEGCHECK_SKILL_ID": SKILL_ID,
                "LEGCHECK_CERT_FETCHER": lambda url: pki.chain(),
                "LEGCHECK_TRUST_ROOTS": pki.roots,
            }
            sign = lambda body: headers_for(body, pki.leaf.key, CERT_URL)  # noqa: E731
        client = create_app(config).test_client()
        states = dialog_states(
            create_app({"LEGCHECK_SKILL": skill, "LEGCHECK_VERIFY": False}).test_client()
        )
        recorder.records.clear()

        outcomes: Counter[str] = Counter()
        refusals: Counter[str] = Counter()
        classes: dict[str, list[str]] = defaultdict(list)
        weights = [w for w, _ in MUTATIONS]
        started = time.perf_counter()
        for _ in range(args.requests):
            envelope = base_envelope(rng, states)
            kind = _kind(envelope)
            if args.verify:
                _align_for_verification(envelope)
            done = []
            for _m in range(rng.randrange(1, 5)):
                mutation = rng.choices([m for _, m in MUTATIONS], weights)[0]
                # (a path it picks may have gone away under an earlier mutation)
                with contextlib.suppress(IndexError, KeyError, TypeError):
                    done.append(mutation(rng, envelope))
            body = encode(envelope)
            if rng.random() < 0.08:
                body, how = mutate_bytes(rng, body)
                done.append(how)
            recorder.records.clear()
            reply = client.post("/", data=body, headers=sign(body), content_type="application/json")
            problems = reply_problems(
                reply.status_code, reply.get_data(), reply.content_type, skill_route=True
            )
            errors = [r for r in recorder.records if r.levelno >= logging.ERROR]
            tracebacks = [r for r in recorder.records if r.exc_info]
            label = f"{kind}: " + "; ".join(done)
            if reply.status_code >= 500:
                outcomes["5xx"] += 1
                classes["5xx: " + (problems[0][:150] if problems else "?")].append(label)
            elif problems:
                outcomes["invalid"] += 1
                classes["invalid: " + problems[0][:150]].append(label)
            elif reply.status_code >= 400:
                outcomes["refused (4xx)"] += 1
                reason = (reply.get_json(silent=True) or {}).get("error", "")
                refusals[_reason_class(reason)] += 1
            elif errors or tracebacks:
                outcomes["skill error"] += 1
                name, message = failure_class((tracebacks or errors)[0])
                classes["skill error: " + name].append(f"{message} <- {label}")
            else:
                outcomes["ok"] += 1
        elapsed = time.perf_counter() - started

    total = sum(outcomes.values())
    mode = "verification on (signed with the test PKI)" if args.verify else "verification off"
    print(f"{total} fuzzed requests in {elapsed:.1f} s, {mode}, seed {args.seed}")
    for name in ("ok", "refused (4xx)", "skill error", "invalid", "5xx"):
        print(f"  {name:15} {outcomes[name]:6}")
    print(f"5xx: {outcomes['5xx']} of {total}; invalid responses: {outcomes['invalid']} of {total}")
    if refusals:
        print("\nrefusals by reason:")
        for reason, count in refusals.most_common(15):
            print(f"  {count:6}  {reason}")
    if classes:
        print("\nfailure classes (5xx, invalid, skill errors), with example mutations:")
        for name, labels in sorted(classes.items(), key=lambda item: -len(item[1])):
            print(f"  {len(labels):6}  {name}")
            for label in labels[: args.examples]:
                print(f"            e.g. {label[-230:] if ' <- ' in label else label[:230]}")
    return 1 if outcomes["5xx"] or outcomes["invalid"] else 0


def _align_for_verification(envelope: dict[str, Any]) -> None:
    """Give an envelope the test skill id and a current timestamp, so mutations are what fails."""
    from tests.support.certs import SKILL_ID

    for holder in (envelope.get("session"), envelope.get("context", {}).get("System")):
        if isinstance(holder, dict):
            holder["application"] = {"applicationId": SKILL_ID}
    envelope["request"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kind(envelope: dict[str, Any]) -> str:
    """What an envelope was before mutation: its request type, intent, and whether it had a
    session."""
    request = envelope["request"]
    name = request.get("intent", {}).get("name", "")
    session = "" if "session" in envelope else " (no session)"
    return f"{request['type']}{' ' + name if name else ''}{session}"


def _reason_class(reason: str) -> str:
    """A refusal's reason without the parts that vary (offsets, values), to count by kind."""
    cut = reason.split(", got")[0].split(" (")[0]
    return cut[:110]


if __name__ == "__main__":
    sys.exit(main())
