"""Benchmark: how much a Leg Check turn costs next to a hello-world ASK SDK skill,
and how much the check-in store adds to a turn.

Every case is timed in the same run on the same path (deserialize, invoke,
serialize), so the ratios hold across machines; the absolute times are
printed too; the cases take turns in each round and the best round counts.
Alexa allows 8 seconds per answer.

The store cases are the final-advice turn that reads the runner's history and
appends a check-in to an SQLite file (WAL mode, one kept-open connection, an
atomic compare-and-set or ``BEGIN IMMEDIATE`` write), for a runner who agreed to
be remembered: the same runner turn after turn with 10 check-ins kept (their
record stays hot in every cache, but each advice then also says that the symptom
came back and sends them to a doctor: a longer answer than the no-store turn's),
and a different runner every turn with 10
earlier check-ins (a run every few days; other symptoms, so the advice is the
same as without a store) or with the most kept (49). The target is at most
1.5x the same turn without a store.

    .venv/bin/python scripts/bench.py [--turns 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response

from skill.app import build_skill, handle_event
from skill.envelopes import Session, SlotValue
from skill.store import MAX_CHECKINS, CheckIn, Consent, Retention, SqliteStore, UserKeys

STORE_TARGET = 1.5
"""The store turn may cost at most this many no-store turns."""
TYPICAL_HISTORY = 10
"""Check-ins a runner who runs every few days has within the 30-day window."""
NO_STORE = "final answer (advice, no store)"
SAME_RUNNER = f"final answer (SQLite, same runner, {TYPICAL_HISTORY} kept)"
NEW_RUNNERS = f"final answer (SQLite, new runner each turn, {TYPICAL_HISTORY} kept)"
MOST_KEPT = f"final answer (SQLite, new runner each turn, {MAX_CHECKINS - 1} kept)"
ROUNDS = 7


class HelloHandler(AbstractRequestHandler):  # type: ignore[misc]
    """The baseline: the SDK's hello-world, answering any request with one sentence."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak("Hello world").ask("Hello?").response


def hello_skill() -> CustomSkill:
    builder = SkillBuilder()
    builder.add_request_handler(HelloHandler())
    skill: CustomSkill = builder.create()
    return skill


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


def best_of(cases: dict[str, tuple[Callable[[], object], int]],
            rounds: int = ROUNDS) -> dict[str, float]:
    """Seconds per call of each case: the best of several rounds, to shed noise. The
    cases take turns within each round, so a burst of load elsewhere hits them alike."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, (fn, turns) in cases.items():
            start = time.perf_counter()
            for _ in range(turns):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / turns)
    return best


def final_turn(session: Session) -> dict[str, Any]:
    """The last answer of a twitching-calves check-in: the advice turn."""
    session.attributes = {"answers": {"twitching": True, "lower_legs": True},
                          "asked": ["lasts_days"], "pending": "lasts_days"}
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
            store.append(key, CheckIn.of(day, ("cramp", "lower_legs"), "low_electrolytes",
                                         "self_care"))
        envelopes.append(final_turn(session))
    return envelopes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=2000)
    args = parser.parse_args()

    session = Session()
    first_turn = session.intent("ReportSymptomsIntent", [
        SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
        SlotValue("SecondSensation", "tingling", "tingling", slot_type="SENSATION"),
        SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART")])
    last_turn = final_turn(Session())
    today = datetime.now(UTC).date()

    with tempfile.TemporaryDirectory() as tmp:
        keys = UserKeys("bench-secret-" + "x" * 16)
        # one runner turn after turn: the list is bounded so it stays at TYPICAL_HISTORY
        same = SqliteStore(Path(tmp) / "same.sqlite3", keys,
                           Retention.from_knowledge().bounded(TYPICAL_HISTORY))
        regular = Session()
        same.set_consent(same.user_key(regular.user_id), Consent.YES, today)
        # a different runner every turn, so no history builds up across turns
        typical = SqliteStore(Path(tmp) / "typical.sqlite3", keys)
        most = SqliteStore(Path(tmp) / "most.sqlite3", keys)
        store_turns = min(args.turns, 500)
        most_turns = min(args.turns, 100)
        cases: dict[str, tuple[Callable[[], object], int]] = {
            "hello-world baseline": (turn(hello_skill(), session.launch()), args.turns),
            "launch": (turn(build_skill(None), session.launch()), args.turns),
            "one-shot report (engine + question)": (turn(build_skill(None), first_turn),
                                                    args.turns),
            NO_STORE: (turn(build_skill(None), last_turn), args.turns),
            SAME_RUNNER: (turn(build_skill(same), final_turn(regular)), args.turns),
            NEW_RUNNERS: (turns_of(build_skill(typical), runners_with_history(
                typical, store_turns * ROUNDS, TYPICAL_HISTORY)), store_turns),
            MOST_KEPT: (turns_of(build_skill(most), runners_with_history(
                most, most_turns * ROUNDS, MAX_CHECKINS - 1)), most_turns),
        }
        timings = best_of(cases)
        for store in (same, typical, most):
            store.close()
    base = timings["hello-world baseline"]
    print(f"{'turn':52} {'per turn':>9} {'vs hello-world':>15} {'vs no store':>12}")
    for name, secs in timings.items():
        vs_no_store = (f"{secs / timings[NO_STORE]:11.2f}x"
                       if name.startswith("final answer") else "")
        print(f"{name:52} {secs * 1e6:7.0f}us {secs / base:14.2f}x {vs_no_store:>12}")
    print(f"\nstore turn vs no-store turn (target: at most {STORE_TARGET}x):")
    for name in (SAME_RUNNER, NEW_RUNNERS, MOST_KEPT):
        ratio = timings[name] / timings[NO_STORE]
        verdict = "within" if ratio <= STORE_TARGET else "over"
        print(f"  {name:52} {ratio:5.2f}x  {verdict}")


if __name__ == "__main__":
    main()
