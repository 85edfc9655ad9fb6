"""Benchmark: what Leg Check costs next to a hello-world ask-sdk-core skill measured in the same
run, printed as ratios (so they hold across machines; the absolute times are printed too).

1. **Cold start from the Lambda zip** (target: at most 1.3x). ``legcheck package``'s zip is
   built (pip, for Lambda's platform; or ``--zip PATH``), extracted into a temporary folder
   and made read-only; a hello-world skill gets the same folder with its own
   ``lambda_function.py`` (compiled the same way) instead of Leg Check's. Each run is a fresh
   ``python -I -S`` (no site-packages: the folder and the standard library only, as on
   Lambda) that never writes bytecode, imports ``lambda_function`` and answers a
   LaunchRequest; the two take turns and the best run of each counts. The time is taken in
   the process, from before the first import to the answer; the whole process (interpreter
   start included) is printed too. ``LEGCHECK_DB=off``: the DynamoDB client that Lambda's
   deployment builds at start comes from boto3, in Lambda's runtime.
2. **A whole check-in, per turn** (target: at most 1.3x): the envelopes of a realistic
   check-in (launch, a description, the questions, the advice and, with a store, the consent
   answer: ``skill.tools.simulator.checkin``), recorded once, then answered over and over (a new
   runner each time, so a store's record is always a first one) through
   :func:`skill.app.handle_event`; the average turn against the hello-world skill answering
   the same envelopes. Leg Check reads and writes envelopes with its own serializer
   (:mod:`skill.serializer`: the SDK's, with what it repeats on every request worked out
   once); the same check-in with the SDK's ``DefaultSerializer`` is printed too, so what
   the serializer saves and what the skill's own work costs can be told apart. The
   skill is warm, as a Lambda instance serving many runners is: each word's stem and each
   short clause (a slot value) is read once per process and remembered; a longer sentence
   is read every time.
3. **Single turns**, as before: a launch, a one-shot report, the final answer without a store,
   and the final answer that reads the runner's history and appends a check-in to SQLite (the
   same runner turn after turn, and a new runner each turn with 10 or 49 check-ins kept), the
   store turns also as a ratio of the same turn without a store (target: at most 1.5x).
4. **HTTP requests per second** under gunicorn: ``scripts/bench_http.py`` (run it with
   ``--http``).

With ``--write-docs`` what it printed also replaces the section of ``docs/performance.md``
between its markers (see :mod:`skill.tools.docs`), so the figures there are this script's own
output, with the day, commit and machine it ran on.

    .venv/bin/python scripts/bench.py [--turns 2000] [--runs 15] [--zip PATH] [--no-cold]
                                      [--http] [--write-docs]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from hello_world import hello_skill

from skill.app import build_skill, handle_event
from skill.history import retention
from skill.knowledge import load_knowledge
from skill.store import MAX_CHECKINS, CheckIn, Consent, SqliteStore, UserKeys
from skill.tools.cli import cannot_open
from skill.tools.docs import (
    PERFORMANCE_DOC,
    kept_output,
    refuse_without_section,
    write_section,
)
from skill.tools.envelopes import Session, SlotValue
from skill.tools.lambda_zip import ENTRY_NAME, build_lambda_zip, can_precompile, precompile
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator import checkin

SECTION = "scripts/bench.py"
"""The section of docs/performance.md that ``--write-docs`` writes."""
COLD_TARGET = 1.3
CHECK_IN_TARGET = 1.3
STORE_TARGET = 1.5
"""The store turn may cost at most this many no-store turns."""
TYPICAL_HISTORY = 10
"""Check-ins a runner who runs every few days has within the 30-day window."""
NO_STORE = "final answer (advice, no store)"
SAME_RUNNER = f"final answer (SQLite, same runner, {TYPICAL_HISTORY} kept)"
NEW_RUNNERS = f"final answer (SQLite, new runner each turn, {TYPICAL_HISTORY} kept)"
MOST_KEPT = f"final answer (SQLite, new runner each turn, {MAX_CHECKINS - 1} kept)"
ROUNDS = 7
CHECK_INS = 300
"""Distinct runners per check-in case (cycled; each round uses them all at most once)."""

HELLO_ENTRY = '''"""A hello-world ask-sdk-core skill on AWS Lambda: the cold start baseline."""

import json

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope


class HelloHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello world").ask("Hello?").response


builder = SkillBuilder()
builder.add_request_handler(HelloHandler())
skill = builder.create()


def lambda_handler(event, context):
    envelope = skill.serializer.deserialize(json.dumps(event), RequestEnvelope)
    return skill.serializer.serialize(skill.invoke(envelope, context))
'''

COLD = r"""
import sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import json
import lambda_function
out = lambda_function.lambda_handler(json.loads(sys.argv[2]), None)
took = time.perf_counter() - start
assert out["response"]["outputSpeech"], out
print(took)
"""


# ---------------------------------------------------------------- 1. cold start


def _read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def function_folders(zip_path: Path, into: Path) -> dict[str, Path]:
    """Leg Check's zip extracted, and the same folder with the hello-world entry instead."""
    legcheck, hello = into / "legcheck", into / "hello"
    zipfile.ZipFile(zip_path).extractall(legcheck)
    shutil.copytree(legcheck, hello)
    shutil.rmtree(hello / "skill")
    shutil.rmtree(hello / "__pycache__", ignore_errors=True)
    (hello / ENTRY_NAME).write_text(HELLO_ENTRY, encoding="utf-8")
    if can_precompile():
        precompile(hello, [], hello / ENTRY_NAME)
    return {"hello-world ask-sdk-core skill": hello, "Leg Check": legcheck}


def cold_start(code: Path, event: str) -> tuple[float, float]:
    """(import and first answer, whole process) in seconds, for one fresh Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LEGCHECK_"))}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "LEGCHECK_DB": "off"})
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", COLD, str(code), event],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    whole = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"the cold start in {code} failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1]), whole


def bench_cold_start(zip_path: Path | None, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="legcheck-bench-") as tmp:
        if zip_path is None:
            print(
                "building the Lambda zip (legcheck package's; pip for Lambda's platform)...",
                file=sys.stderr,
                flush=True,
            )
            built = build_lambda_zip(Path(tmp) / "legcheck-lambda.zip")
            zip_path = built.path
            notes = "; ".join(built.notes)
        else:
            notes = f"the zip {zip_path}"
        size = zip_path.stat().st_size
        folders = function_folders(zip_path, Path(tmp))
        for folder in folders.values():
            _read_only(folder)
        event = json.dumps(Session().launch())
        best = {name: (float("inf"), float("inf")) for name in folders}
        try:
            for _ in range(runs):
                for name, folder in folders.items():
                    took, whole = cold_start(folder, event)
                    best[name] = (min(best[name][0], took), min(best[name][1], whole))
        finally:
            for folder in folders.values():
                _writable(folder)
    base, base_whole = best["hello-world ask-sdk-core skill"]
    print(
        f"\n1. Cold start from the Lambda zip ({size / 1e6:.2f} MB, {size:,} bytes; {notes}), "
        f"read-only, no bytecode written, best of {runs}"
    )
    print(
        f"{'':34} {'import + launch':>15} {'vs hello-world':>15} {'whole process':>14} "
        f"{'vs hello-world':>15}"
    )
    for name, (took, whole) in best.items():
        print(
            f"{name:34} {took * 1e3:13.1f}ms {took / base:14.2f}x {whole * 1e3:12.1f}ms "
            f"{whole / base_whole:14.2f}x"
        )
    ratio = best["Leg Check"][0] / base
    print(f"  target: at most {COLD_TARGET}x: {'within' if ratio <= COLD_TARGET else 'over'}")


# ---------------------------------------------------------------- timing


def best_of(
    cases: dict[str, tuple[Callable[[], object], int]], rounds: int = ROUNDS
) -> dict[str, float]:
    """Seconds per call of each case: the best of several rounds, to shed noise. The
    cases take turns within each round, so a burst of load elsewhere hits them alike."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, (fn, calls) in cases.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / calls)
    return best


def turn(skill: CustomSkill, envelope: dict[str, Any]) -> Callable[[], object]:
    payload = json.dumps(envelope)

    def run() -> object:
        return handle_event(payload, None, skill)

    return run


def turns_of(skill: CustomSkill, envelopes: list[dict[str, Any]]) -> Callable[[], object]:
    """One turn per call, each the next envelope (each a different runner)."""
    payloads = itertools.cycle([json.dumps(e) for e in envelopes])

    def run() -> object:
        return handle_event(next(payloads), None, skill)

    return run


def conversations_of(skill: CustomSkill, conversations: list[list[str]]) -> Callable[[], object]:
    """One whole conversation per call, each the next one (each a different runner)."""
    cycle = itertools.cycle(conversations)

    def run() -> object:
        return [handle_event(payload, None, skill) for payload in next(cycle)]

    return run


# ---------------------------------------------------------------- 2. a whole check-in


def runners(envelopes: list[dict[str, Any]], count: int) -> list[list[str]]:
    """The same check-in from ``count`` different runners, as JSON texts."""
    return [
        [json.dumps(e) for e in checkin.for_user(envelopes, f"amzn1.ask.account.BENCH{n}")]
        for n in range(count)
    ]


def bench_check_in(tmp: Path) -> None:
    keys = UserKeys("bench-secret-" + "x" * 16)
    window = retention(load_knowledge())
    recorded = SqliteStore(tmp / "recorded.sqlite3", keys, window)
    stored = SqliteStore(tmp / "check-ins.sqlite3", keys, window)
    try:
        with_store = checkin.record(build_skill(recorded))
        without = checkin.record(build_skill(None))
        kept = runners(with_store, CHECK_INS)
        none = runners(without, CHECK_INS)
        reps = CHECK_INS // ROUNDS
        sdk_serializer = build_skill(None)
        sdk_serializer.serializer = DefaultSerializer()
        cases = {
            "hello": (conversations_of(hello_skill(), none), reps),
            "no store": (conversations_of(build_skill(None), none), reps),
            "no store, the SDK's serializer": (conversations_of(sdk_serializer, none), reps),
            "hello, the store's envelopes": (conversations_of(hello_skill(), kept), reps),
            "SQLite store": (conversations_of(build_skill(stored), kept), reps),
        }
        per_call = best_of(cases)
    finally:
        recorded.close()
        stored.close()
    print(
        "\n2. A whole check-in, per turn (launch, description, questions, advice, and with "
        "a store the consent answer), a new runner each time"
    )
    print(f"{'':44} {'turns':>5} {'per turn':>9} {'hello-world':>12} {'vs hello-world':>15}")
    for name, base, turns in (
        ("no store", "hello", len(without)),
        ("SQLite store", "hello, the store's envelopes", len(with_store)),
        ("no store, the SDK's serializer", "hello", len(without)),
    ):
        ours, theirs = per_call[name] / turns, per_call[base] / turns
        print(
            f"{'Leg Check, ' + name:44} {turns:5d} {ours * 1e6:7.0f}us {theirs * 1e6:10.0f}us "
            f"{ours / theirs:14.2f}x"
        )
    worst = max(
        per_call["no store"] / per_call["hello"],
        per_call["SQLite store"] / per_call["hello, the store's envelopes"],
    )
    print("  (the last line is for comparison only: the skill as it ships uses its own serializer)")
    print(
        f"  target (as it ships, the worse of the first two): at most {CHECK_IN_TARGET}x: "
        f"{'within' if worst <= CHECK_IN_TARGET else 'over'}"
    )


# ---------------------------------------------------------------- 3. single turns


def final_turn(session: Session) -> dict[str, Any]:
    """The last answer of a twitching-calves check-in: the advice turn."""
    session.attributes = {
        "answers": {"twitching": True, "lower_legs": True},
        "asked": ["lasts_days"],
        "pending": "lasts_days",
    }
    session.new = False
    return session.intent("AMAZON.NoIntent")


def runners_with_history(store: SqliteStore, count: int, kept: int) -> list[dict[str, Any]]:
    """``count`` runners who agreed to be remembered, each with ``kept`` earlier check-ins
    (cramp, on different days, so their records differ and none raises the advice)."""
    today = datetime.now(UTC).date()
    envelopes = []
    for n in range(count):
        session = Session()
        key = store.user_key(session.user_id)
        store.set_consent(key, Consent.YES, today)
        for i in range(kept):
            day = today - timedelta(days=(n + i) % store.retention.days)
            store.append(
                key, CheckIn.of(day, ("cramp", "lower_legs"), "low_electrolytes", "self_care")
            )
        envelopes.append(final_turn(session))
    return envelopes


def bench_turns(tmp: Path, turns: int) -> None:
    session = Session()
    first_turn = session.intent(
        "ReportSymptomsIntent",
        [
            SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
            SlotValue("SecondSensation", "tingling", "tingling", slot_type="SENSATION"),
            SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART"),
        ],
    )
    last_turn = final_turn(Session())
    today = datetime.now(UTC).date()
    keys = UserKeys("bench-secret-" + "x" * 16)
    window = retention(load_knowledge())
    # one runner turn after turn: the list is bounded so it stays at TYPICAL_HISTORY
    same = SqliteStore(tmp / "same.sqlite3", keys, window.bounded(TYPICAL_HISTORY))
    regular = Session()
    same.set_consent(same.user_key(regular.user_id), Consent.YES, today)
    # a different runner every turn, so no history builds up across turns
    typical = SqliteStore(tmp / "typical.sqlite3", keys, window)
    most = SqliteStore(tmp / "most.sqlite3", keys, window)
    store_turns = min(turns, 500)
    most_turns = min(turns, 100)
    try:
        cases: dict[str, tuple[Callable[[], object], int]] = {
            "hello-world baseline": (turn(hello_skill(), session.launch()), turns),
            "launch": (turn(build_skill(None), session.launch()), turns),
            "one-shot report (engine + question)": (turn(build_skill(None), first_turn), turns),
            NO_STORE: (turn(build_skill(None), last_turn), turns),
            SAME_RUNNER: (turn(build_skill(same), final_turn(regular)), turns),
            NEW_RUNNERS: (
                turns_of(
                    build_skill(typical),
                    runners_with_history(typical, store_turns * ROUNDS, TYPICAL_HISTORY),
                ),
                store_turns,
            ),
            MOST_KEPT: (
                turns_of(
                    build_skill(most),
                    runners_with_history(most, most_turns * ROUNDS, MAX_CHECKINS - 1),
                ),
                most_turns,
            ),
        }
        timings = best_of(cases)
    finally:
        for store in (same, typical, most):
            store.close()
    base = timings["hello-world baseline"]
    print(
        f"\n3. Single turns\n{'turn':52} {'per turn':>9} {'vs hello-world':>15} {'vs no store':>12}"
    )
    for name, secs in timings.items():
        vs_no_store = (
            f"{secs / timings[NO_STORE]:11.2f}x" if name.startswith("final answer") else ""
        )
        print(f"{name:52} {secs * 1e6:7.0f}us {secs / base:14.2f}x {vs_no_store:>12}")
    print(f"store turn vs no-store turn (target: at most {STORE_TARGET}x):")
    for name in (SAME_RUNNER, NEW_RUNNERS, MOST_KEPT):
        ratio = timings[name] / timings[NO_STORE]
        verdict = "within" if ratio <= STORE_TARGET else "over"
        print(f"  {name:52} {ratio:5.2f}x  {verdict}")


# ---------------------------------------------------------------- 4. HTTP


def bench_http(extra: list[str]) -> None:
    print("\n4. HTTP requests per second under gunicorn (scripts/bench_http.py)", flush=True)
    with subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "scripts" / "bench_http.py"), *extra],
        stdout=subprocess.PIPE,
        text=True,
    ) as done:
        assert done.stdout is not None
        for line in done.stdout:  # through this process's stdout, so --write-docs has it
            print(line, end="", flush=True)
    if done.returncode:
        raise SystemExit(done.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=2000, help="calls per single-turn case")
    parser.add_argument("--runs", type=int, default=15, help="cold starts of each skill")
    parser.add_argument(
        "--zip",
        type=Path,
        default=None,
        help="time this Lambda zip instead of building one (no pip)",
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold start")
    parser.add_argument(
        "--http", action="store_true", help="also run scripts/bench_http.py (a few minutes)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also write what it printed into {PERFORMANCE_DOC.relative_to(REPO_ROOT)}, "
        "between its markers",
    )
    args = parser.parse_args()
    if args.zip is not None:
        why = cannot_open(args.zip)
        if why is None and not zipfile.is_zipfile(args.zip):
            why = "not a zip file"
        if why:
            print(f"scripts/bench.py: cannot open --zip {args.zip}: {why}", file=sys.stderr)
            return 2
    if args.write_docs and refuse_without_section("scripts/bench.py", PERFORMANCE_DOC, SECTION):
        return 2
    with kept_output() as printed:
        run(args)
    if args.write_docs:
        invoked = " ".join(["scripts/bench.py", *sys.argv[1:]])
        write_section(PERFORMANCE_DOC, SECTION, invoked, printed.getvalue())
        print(f"wrote {PERFORMANCE_DOC.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> None:
    import logging

    logging.getLogger("legcheck").setLevel(logging.WARNING)  # the skill's log is noise here
    if not args.no_cold:
        bench_cold_start(args.zip, args.runs)
    with tempfile.TemporaryDirectory(prefix="legcheck-bench-") as tmp:
        bench_check_in(Path(tmp))
        bench_turns(Path(tmp), args.turns)
    if args.http:
        bench_http([])
    else:
        print(
            "\n4. HTTP requests per second under gunicorn: .venv/bin/python "
            "scripts/bench_http.py (or this script with --http)"
        )


if __name__ == "__main__":
    sys.exit(main())
