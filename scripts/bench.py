"""Benchmark: how much a Leg Check turn costs next to a hello-world ASK SDK skill.

Both skills are timed in the same run on the same envelopes' path
(deserialize, invoke, serialize), so the ratio holds across machines; the
absolute times are printed too. Alexa allows 8 seconds per answer.

    .venv/bin/python scripts/bench.py [--turns 2000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope, Response

from skill.app import build_skill
from skill.envelopes import Session, SlotValue
from skill.history import SqlitePersistenceAdapter


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
        request = skill.serializer.deserialize(payload, RequestEnvelope)
        return skill.serializer.serialize(skill.invoke(request, None))

    return run


def best_of(fn: Callable[[], object], turns: int, rounds: int = 5) -> float:
    """Seconds per call: the best of several rounds, to shed noise."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(turns):
            fn()
        best = min(best, (time.perf_counter() - start) / turns)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=2000)
    args = parser.parse_args()

    session = Session()
    first_turn = session.intent("ReportSymptomsIntent", [
        SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
        SlotValue("SecondSensation", "tingling", "tingling", slot_type="SENSATION"),
        SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART")])
    final = Session(attributes={"answers": {"twitching": True, "lower_legs": True},
                                "asked": ["lasts_days"], "pending": "lasts_days"}, new=False)
    last_turn = final.intent("AMAZON.NoIntent")

    with tempfile.TemporaryDirectory() as tmp:
        stored = build_skill(SqlitePersistenceAdapter(Path(tmp) / "bench.sqlite3"))
        cases = {
            "hello-world baseline": turn(hello_skill(), session.launch()),
            "launch": turn(build_skill(None), session.launch()),
            "one-shot report (engine + question)": turn(build_skill(None), first_turn),
            "final answer (advice, no store)": turn(build_skill(None), last_turn),
            "final answer (advice, SQLite store)": turn(stored, last_turn),
        }
        timings = {name: best_of(fn, args.turns) for name, fn in cases.items()}
    base = timings["hello-world baseline"]
    print(f"{'turn':40} {'per turn':>10} {'vs baseline':>12}")
    for name, secs in timings.items():
        print(f"{name:40} {secs * 1e6:8.0f}us {secs / base:11.2f}x")


if __name__ == "__main__":
    main()
