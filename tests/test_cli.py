"""The ``legcheck`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.tools.cli import build_parser, is_loopback, main


@pytest.mark.parametrize(
    "host,expected",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("192.0.2.10", False),
        ("::", False),
    ],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_serve_refuses_a_public_address_without_verification(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--no-verify", "--host", "0.0.0.0"]) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err


def test_serve_defaults_to_loopback_port_5000() -> None:
    args = build_parser().parse_args(["serve", "--no-verify"])
    assert (args.host, args.port, args.no_verify) == ("127.0.0.1", 5000, True)


@pytest.mark.slow
def test_serve_no_verify_answers_a_check_in_over_real_http(tmp_path: Path) -> None:
    import json
    import os
    import urllib.request

    from skill.tools.envelopes import Session, SlotValue
    from tests.support.serve import LegcheckServer

    env = {**os.environ, "LEGCHECK_DB": str(tmp_path / "serve.sqlite3")}
    with LegcheckServer(env) as server:

        def post(envelope: dict[str, object]) -> dict[str, object]:
            req = urllib.request.Request(
                server.url,
                data=json.dumps(envelope).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=5) as reply:
                out: dict[str, object] = json.loads(reply.read())
            return out

        session = Session()
        first = post(session.launch())
        assert "How do your legs feel" in json.dumps(first)
        session.absorb(first)
        second = post(
            session.intent(
                "ReportSymptomsIntent",
                [
                    SlotValue("Sensation", "burning", "burning", slot_type="SENSATION"),
                    SlotValue("BodyPart", "between my toes", "between_toes", slot_type="BODY_PART"),
                ],
            )
        )
        assert session.absorb(second)
        third = post(session.intent("AMAZON.NoIntent"))
        assert "podiatrist" in json.dumps(third)
    assert "request verification is off" in server.errors


def test_serve_with_verification_needs_a_skill_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEGCHECK_SKILL_ID", raising=False)
    monkeypatch.setenv("LEGCHECK_DB", "off")
    assert main(["serve"]) == 2
    assert "LEGCHECK_SKILL_ID" in capsys.readouterr().err


# ------------------------------------------------------------------ purge


def test_purge_removes_what_is_past_its_time(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import date

    from skill.history import retention
    from skill.knowledge import load_knowledge
    from skill.store import CheckIn, Consent, SqliteStore, UserKeys

    db = tmp_path / "purge.sqlite3"
    store = SqliteStore(db, UserKeys("cli-test-secret-0123456789"), retention(load_knowledge()))
    store.append(
        "old",
        CheckIn.of(date(2026, 10, 1), ["cramp"], "low_electrolytes", "self_care"),
        Consent.YES,
    )
    store.append(
        "new",
        CheckIn.of(date(2026, 11, 20), ["cramp"], "low_electrolytes", "self_care"),
        Consent.YES,
    )
    store.close()
    monkeypatch.setenv("LEGCHECK_DB", str(db))
    monkeypatch.delenv("LEGCHECK_USER_KEY_SECRET", raising=False)
    assert main(["purge", "--today", "2026-11-24"]) == 0
    out = capsys.readouterr().out
    assert "1 record(s)" in out and str(db) in out
    assert store.delete("old") is False and store.delete("new") is True
    assert not UserKeys.secret_path(db).exists()  # purging needs no user key


def test_purge_takes_the_store_from_db_and_refuses_what_cannot_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["purge", "--db", "off"]) == 0
    assert "nothing to purge" in capsys.readouterr().out
    assert main(["purge", "--db", "dynamodb:legcheck"]) == 2
    assert "LEGCHECK_USER_KEY_SECRET" in capsys.readouterr().err
    assert main(["purge", "--db", "off", "--today", "24/11/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_simulate_refuses_a_store_it_cannot_open(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEGCHECK_USER_KEY_SECRET", raising=False)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("open leg check\n"))
    assert main(["simulate", "--db", "dynamodb:legcheck"]) == 2
    assert "LEGCHECK_USER_KEY_SECRET" in capsys.readouterr().err
