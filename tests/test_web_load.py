"""A bounded load test on loopback: the app under gunicorn, verification on, every answer right.

Starts gunicorn (two workers) on 127.0.0.1 with a free port, serving ``create_app`` with request
verification on (the chain and roots of the test PKI, see ``scripts/http_apps.py``), and sends
500 signed requests from four threads: launches, one-shot reports and session ends. Every one
must get a 200 with a response Alexa would take; then a few forgeries must get 400s, and the
server must have logged no error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.tools.envelopes import Session, SlotValue
from tests.support.alexa_response import reply_problems
from tests.support.certs import CERT_URL, SKILL_ID, TestPKI, headers_for
from tests.support.gunicorn_server import GunicornServer, Sent, send_all

pytestmark = [pytest.mark.usefixtures("no_network"), pytest.mark.slow]  # slow: gunicorn

REQUESTS = 500
THREADS = 4


def signed_requests(pki: TestPKI, count: int) -> list[Sent]:
    out = []
    for index in range(count):
        session = Session(skill_id=SKILL_ID, user_id=f"amzn1.ask.account.LOAD{index % 7}")
        now = datetime.now(UTC)
        kind = index % 3
        if kind == 0:
            envelope = session.launch(now)
        elif kind == 1:
            envelope = session.intent(
                "ReportSymptomsIntent",
                [
                    SlotValue("Sensation", "itchy", "itching", slot_type="SENSATION"),
                    SlotValue("BodyPart", "legs", "legs", slot_type="BODY_PART"),
                ],
                now=now,
            )
        else:
            envelope = session.session_ended(now=now)
        body = json.dumps(envelope).encode()
        out.append(Sent(body, headers_for(body, pki.leaf.key, CERT_URL)))
    return out


@pytest.fixture
def server(pki: TestPKI, tmp_path: Path) -> Iterator[GunicornServer]:
    (tmp_path / "chain.pem").write_bytes(pki.chain())
    (tmp_path / "roots.pem").write_bytes(pki.root.pem)
    env = {
        "LEGCHECK_TEST_CHAIN": str(tmp_path / "chain.pem"),
        "LEGCHECK_TEST_ROOTS": str(tmp_path / "roots.pem"),
        "LEGCHECK_SKILL_ID": SKILL_ID,
        "LEGCHECK_DB": str(tmp_path / "load.sqlite3"),
        "LEGCHECK_USER_KEY_SECRET": "load-test-user-key-secret-0123",
    }
    server = GunicornServer("http_apps:legcheck_app()", env=env, workers=2)
    try:
        with server:
            yield server
    finally:
        server.close()


def test_five_hundred_verified_requests_under_gunicorn(
    server: GunicornServer, pki: TestPKI
) -> None:
    requests = signed_requests(pki, REQUESTS)
    results = send_all(server.port, requests, threads=THREADS)
    failures = [
        (status, body[:200])
        for status, body in results
        if reply_problems(status, body, "application/json", skill_route=True) or status != 200
    ]
    assert failures == [], failures[:5]
    assert len(results) == REQUESTS

    forged = [Sent(r.body + b" ", r.headers) for r in requests[:3]]
    forged.append(Sent(requests[0].body, {}))
    assert [status for status, _ in send_all(server.port, forged, threads=2)] == [400] * 4
    log = server.output()
    assert log.count("refused request: ") == 4, log
    for sign_of_trouble in (
        "Traceback",
        "internal error",
        "the skill failed",
        "would be refused by Alexa",
    ):
        assert sign_of_trouble not in log, log


# ------------------------------------------------------------------ one runner, many at once

SECRET = "load-test-user-key-secret-0123"


def test_fifty_check_ins_for_one_runner_at_once_are_all_kept(pki: TestPKI, tmp_path: Path) -> None:
    """The issue's load: 50 final answers for one runner, sent at once to gunicorn with
    four workers sharing one SQLite file. Every check-in must be kept."""
    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.store import MAX_CHECKINS, Consent, SqliteStore, UserKeys

    db = tmp_path / "one-runner.sqlite3"
    user = "amzn1.ask.account.ONE-RUNNER"
    store = SqliteStore(db, UserKeys(SECRET), retention(load_knowledge()))
    store.set_consent(store.user_key(user), Consent.YES, datetime.now(UTC).date())
    (tmp_path / "chain.pem").write_bytes(pki.chain())
    (tmp_path / "roots.pem").write_bytes(pki.root.pem)
    env = {
        "LEGCHECK_TEST_CHAIN": str(tmp_path / "chain.pem"),
        "LEGCHECK_TEST_ROOTS": str(tmp_path / "roots.pem"),
        "LEGCHECK_SKILL_ID": SKILL_ID,
        "LEGCHECK_DB": str(db),
        "LEGCHECK_USER_KEY_SECRET": SECRET,
    }
    requests = []
    for _ in range(MAX_CHECKINS):
        session = Session(
            skill_id=SKILL_ID,
            user_id=user,
            new=False,
            attributes={
                "answers": {"twitching": True, "lower_legs": True},
                "asked": ["lasts_days"],
                "pending": "lasts_days",
            },
        )
        body = json.dumps(session.intent("AMAZON.NoIntent", now=datetime.now(UTC))).encode()
        requests.append(Sent(body, headers_for(body, pki.leaf.key, CERT_URL)))
    server = GunicornServer("http_apps:legcheck_app()", env=env, workers=4)
    try:
        with server:
            results = send_all(server.port, requests, threads=10)
            log = server.output()
    finally:
        server.close()
    assert [status for status, _ in results] == [200] * MAX_CHECKINS
    assert all(b"low electrolytes" in body for _, body in results)
    assert "could not store" not in log, log
    kept = store.read(store.user_key(user), datetime.now(UTC).date())
    assert len(kept) == MAX_CHECKINS
    store.close()
