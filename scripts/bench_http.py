"""HTTP requests per second under gunicorn: Leg Check, verification on and the chain cached,
as a ratio of a hello-world ASK SDK skill served the same way in the same run.

Both apps run under gunicorn on 127.0.0.1 (free ports, the same number of sync workers; see
``scripts/http_apps.py``) and get the same load: a fixed number of POSTs from a few client
threads, one connection per request. Leg Check's requests are signed with the test PKI
(``tests/support/certs.py``) and fully verified (certificate URL, chain from the per-worker cache,
``Signature-256``, timestamp, skill id); the hello-world skill only deserializes, invokes and
serializes. Each round measures all three back to back (in a rotating order), so a round's
ratio compares runs made under the same load on the machine; the ratio printed is the median
of the rounds', next to each app's best requests per second. Every answer must be a 200 or the
run stops. The target is at least 0.8x. Next to it, the server's CPU time per request (read
from /proc for gunicorn's processes) and its ratio: a figure that, unlike requests per second,
other work on the machine does not move.

    .venv/bin/python scripts/bench_http.py [--requests 2000] [--rounds 5] [--threads 4]
                                           [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from skill.tools.envelopes import Session, SlotValue  # noqa: E402
from tests.support.certs import CERT_URL, SKILL_ID, TestPKI, headers_for, shared_pki  # noqa: E402
from tests.support.gunicorn_server import GunicornServer, Sent, send_all  # noqa: E402

POOL = 256  # distinct signed requests per round, sent round-robin


def launch(session: Session, now: datetime) -> dict[str, Any]:
    return session.launch(now)


def report(session: Session, now: datetime) -> dict[str, Any]:
    return session.intent(
        "ReportSymptomsIntent",
        [
            SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
            SlotValue("SecondSensation", "tingling", "tingling", slot_type="SENSATION"),
            SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART"),
        ],
        now=now,
    )


def build(
    pki: TestPKI, count: int, make: Callable[[Session, datetime], dict[str, Any]], signed: bool
) -> list[Sent]:
    """``count`` requests, signed now (timestamps must be within 150 s when they arrive)."""
    pool = []
    for index in range(min(count, POOL)):
        session = Session(skill_id=SKILL_ID, user_id=f"amzn1.ask.account.BENCH{index % 16}")
        body = json.dumps(make(session, datetime.now(UTC))).encode()
        pool.append(Sent(body, headers_for(body, pki.leaf.key, CERT_URL) if signed else {}))
    return [pool[i % len(pool)] for i in range(count)]


def measure(server: GunicornServer, requests: list[Sent], threads: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU seconds per request, for one round.

    Every answer must be a 200.
    """
    cpu = server.worker_cpu_seconds()
    started = time.perf_counter()
    results = send_all(server.port, requests, threads=threads)
    elapsed = time.perf_counter() - started
    cpu = server.worker_cpu_seconds() - cpu
    bad = [(status, body[:200]) for status, body in results if status != 200]
    if bad:
        raise SystemExit(
            f"bench_http: {len(bad)} of {len(results)} requests failed, e.g. "
            f"{bad[0]}\n{server.output()[-2000:]}"
        )
    return len(requests) / elapsed, cpu / len(requests)


def paired_median(rates: list[float], bases: list[float]) -> float:
    """The median of each round's ratio: runs in one round share the machine's load."""
    return statistics.median(rate / base for rate, base in zip(rates, bases, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per app")
    args = parser.parse_args()

    pki = shared_pki()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "chain.pem").write_bytes(pki.chain())
        (Path(tmp) / "roots.pem").write_bytes(pki.root.pem)
        env = {
            "LEGCHECK_TEST_CHAIN": str(Path(tmp) / "chain.pem"),
            "LEGCHECK_TEST_ROOTS": str(Path(tmp) / "roots.pem"),
            "LEGCHECK_SKILL_ID": SKILL_ID,
            "LEGCHECK_DB": str(Path(tmp) / "bench.sqlite3"),
            "LEGCHECK_USER_KEY_SECRET": "bench-user-key-secret-0123456",
        }
        legcheck = GunicornServer("http_apps:legcheck_app()", env=env, workers=args.workers)
        hello = GunicornServer("http_apps:hello_app()", workers=args.workers)
        cases = {
            "hello-world ASK SDK skill": (hello, launch, False),
            "Leg Check launch, verified": (legcheck, launch, True),
            "Leg Check one-shot report, verified": (legcheck, report, True),
        }
        names = list(cases)
        rates: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        try:
            with hello, legcheck:
                for server, make, signed in cases.values():  # warm up; fills the chain caches
                    measure(server, build(pki, 50 * args.workers, make, signed), args.threads)
                for round_ in range(args.rounds):
                    order = names[round_ % len(names) :] + names[: round_ % len(names)]
                    for name in order:
                        server, make, signed = cases[name]
                        requests = build(pki, args.requests, make, signed)
                        rate, seconds = measure(server, requests, args.threads)
                        rates[name].append(rate)
                        cpu[name].append(seconds)
        finally:
            hello.close()
            legcheck.close()

    base_name = names[0]
    print(
        f"HTTP requests per second under gunicorn on 127.0.0.1: {args.workers} sync workers, "
        f"{args.threads} client threads, {args.requests} requests a round, {args.rounds} "
        "rounds"
    )
    print(
        f"{'app':38} {'best req/s':>10} {'median ratio':>13} {'server CPU/req':>15} "
        f"{'CPU ratio':>10}"
    )
    for name in names:
        ratio = paired_median(rates[name], rates[base_name])
        per_request = statistics.median(cpu[name])
        cpu_ratio = statistics.median(cpu[base_name]) / per_request if per_request else 0.0
        print(
            f"{name:38} {max(rates[name]):10.0f} {ratio:12.2f}x {per_request * 1e6:12.0f} us "
            f"{cpu_ratio:9.2f}x"
        )
    headline = "Leg Check launch, verified"
    print(
        f"Leg Check (verification on, chain cached) / hello world: "
        f"{paired_median(rates[headline], rates[base_name]):.2f}x requests per second "
        f"(target at least 0.80x); by server CPU per request "
        f"{statistics.median(cpu[base_name]) / statistics.median(cpu[headline]):.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
