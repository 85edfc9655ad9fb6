"""Cold start: a fresh Python process importing the skill and answering its first
LaunchRequest, against a hello-world ask-sdk-core skill doing the same, measured in
the same run; and what each of the phrase interpreter's dependencies adds to the import.

    .venv/bin/python scripts/coldstart.py [--runs 7]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

LAUNCH = ('{"version": "1.0", "session": {"new": true, "sessionId": "s", "application": '
          '{"applicationId": "a"}, "user": {"userId": "u"}, "attributes": {}}, "context": '
          '{"System": {"application": {"applicationId": "a"}, "user": {"userId": "u"}, '
          '"device": {"deviceId": "d", "supportedInterfaces": {}}, "apiEndpoint": '
          '"https://api.amazonalexa.com"}}, "request": {"type": "LaunchRequest", '
          '"requestId": "r", "timestamp": "2026-01-01T00:00:00Z", "locale": "en-US"}}')

TIMED = '''
import time, os
os.environ.setdefault("LEGCHECK_DB", "off")
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
'''

HELLO = '''
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_model import RequestEnvelope
class Hello(AbstractRequestHandler):
    def can_handle(self, handler_input): return True
    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello world").response
b = SkillBuilder(); b.add_request_handler(Hello()); skill = b.create()
skill.serializer.serialize(skill.invoke(
    skill.serializer.deserialize({launch!r}, RequestEnvelope), None))
'''

LEGCHECK = '''
from skill.app import default_skill
from skill.store import Deployment
from ask_sdk_model import RequestEnvelope
skill = default_skill(Deployment.LAMBDA)
skill.serializer.serialize(skill.invoke(
    skill.serializer.deserialize({launch!r}, RequestEnvelope), None))
'''


def timed(body: str) -> float:
    code = TIMED.format(body=body.format(launch=LAUNCH))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(f"the timed process failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def import_cost(module: str) -> float:
    """Seconds the module's own import takes, from -X importtime (cumulative)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                          capture_output=True, text=True, check=True)
    last = [ln for ln in done.stderr.splitlines() if ln.rstrip().endswith(f"| {module}")]
    return int(re.split(r"\s*\|\s*", last[-1])[1]) / 1e6 if last else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    hello = min(timed(HELLO) for _ in range(args.runs))
    legcheck = min(timed(LEGCHECK) for _ in range(args.runs))
    print(f"{'cold start (import + first launch)':40} {'time':>10} {'vs hello-world':>15}")
    print(f"{'hello-world ask-sdk-core skill':40} {hello * 1e3:8.1f}ms {1:14.2f}x")
    print(f"{'Leg Check':40} {legcheck * 1e3:8.1f}ms {legcheck / hello:14.2f}x")
    for module in ("snowballstemmer", "word2number.w2n"):
        cost = min(import_cost(module) for _ in range(args.runs))
        print(f"{'  of which import ' + module:40} {cost * 1e3:8.1f}ms {cost / hello:14.2f}x")


if __name__ == "__main__":
    main()
