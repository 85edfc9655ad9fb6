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


# ------------------------------------------------------------------ simulate


def test_simulate_help_lists_the_markets_and_the_runner_flags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["simulate", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "--locale LOCALE the market: its interaction model and the requests' locale, one of "
        in text
    )
    assert "one of en-AU, en-CA, en-GB, en-IN, en-US (default: en-US)" in text
    for flag in ("--user NAME", "--days-later DAYS", "--answers FILE"):
        assert flag in text


def test_simulate_flags_reach_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    from skill.tools.simulator import command

    seen: list[command.Options] = []

    def simulate(options: command.Options, *_: object) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(command, "simulate", simulate)
    argv = ["simulate", "--user", "alice", "--days-later", "1", "--answers", "a.yaml"]
    assert main([*argv, "--locale", "en-GB"]) == 0
    [options] = seen
    assert (options.user, options.days_later, options.answers, options.locale) == (
        "alice",
        "1",
        Path("a.yaml"),
        "en-GB",
    )


@pytest.mark.slow
def test_simulate_refuses_what_it_cannot_open_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    for args, message in (
        (["--replay", str(tmp_path / "missing.json")], f"{tmp_path / 'missing.json'}: no such"),
        (["--locale", "xx-YY"], "expected --locale to be one of en-AU, en-CA, en-GB, en-IN"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "skill.tools.cli", "simulate", *args],
            input="open leg check\n",
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": str(tmp_path)},
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("legcheck simulate: ") and message in line


def test_purge_on_a_path_with_no_store_says_so_and_makes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "chekins.sqlite3"
    assert main(["purge", "--db", str(typo)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"legcheck purge: expected a check-in store at {typo} (--db); there is none, so "
        f"nothing was purged (check the path)\n"
    )
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_purge_refuses_a_value_that_names_no_store_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["purge", "--db", "garbage"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("legcheck purge: expected --db to be off, dynamodb:TABLE, sqlite:PATH")
    assert err.count("\n") == 1


# ------------------------------------------------------------------ config


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LEGCHECK_DB", "LEGCHECK_USER_KEY_SECRET", "LEGCHECK_SKILL_ID", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))


@pytest.mark.usefixtures("clean_env")
def test_config_prints_each_setting_where_it_came_from_and_the_secret_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = "config-test-secret-0123456789"
    monkeypatch.setenv("LEGCHECK_USER_KEY_SECRET", secret)
    monkeypatch.setenv("LEGCHECK_DB", "garbage")  # the flag wins
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert main(["config", "--for", "lambda", "--db", "dynamodb:legcheck"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "settings for AWS Lambda (lambda_function.lambda_handler):"
    assert lines[1:4] == [
        "  LEGCHECK_DB: dynamodb:legcheck (flag --db): check-ins in the DynamoDB table legcheck",
        f"  LEGCHECK_USER_KEY_SECRET: co*** ({len(secret)} characters) (environment)",
        "  AWS region: eu-west-1 (environment AWS_REGION)",
    ]
    assert secret not in out and secret[2:6] not in out
    assert any(line.startswith("  LEGCHECK_ARTICLE: ") for line in lines)


@pytest.mark.usefixtures("clean_env")
def test_config_refuses_what_cannot_work_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGCHECK_DB", "dynamodb:legcheck")
    monkeypatch.setenv("LEGCHECK_USER_KEY_SECRET", "config-test-secret-0123456789")
    assert main(["config"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "legcheck config: expected an AWS region for LEGCHECK_DB=dynamodb:legcheck "
        "(AWS_REGION or AWS_DEFAULT_REGION, or region in the AWS config file); got none\n"
    )
    assert main(["config", "--for", "server", "--db", "off"]) == 0


# ------------------------------------------------------------------ serve: settings, then the port


def test_serve_refuses_a_bad_setting_in_one_line_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGCHECK_DB", "sqlite:///tmp/x.db")
    assert main(["serve", "--no-verify", "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # never "listening"
    assert captured.err == (
        "legcheck serve: expected LEGCHECK_DB to be sqlite:PATH with a plain path, not a URL; "
        "got 'sqlite:///tmp/x.db' (for the file /tmp/x.db, write sqlite:/tmp/x.db or just "
        "/tmp/x.db)\n"
    )
    monkeypatch.setenv("LEGCHECK_DB", "off")
    assert main(["serve", "--port", "0", "--skill-id", "my-skill"]) == 2
    assert capsys.readouterr().err.startswith("legcheck serve: expected --skill-id to be ")


def test_serve_says_a_port_in_use_in_one_line_and_never_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    monkeypatch.setenv("LEGCHECK_DB", "off")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", "--no-verify", "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"legcheck serve: port {port} on 127.0.0.1 is in use by another program; stop that "
        f"program, or choose another port with --port (--port 0 takes any free one)\n"
    )


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_serve_takes_only_a_port_number(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--port", port])
    assert exited.value.code == 2
    assert f"expected a port from 0 to 65535, got {port!r}" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_says_it_is_listening_only_once_it_is(tmp_path: Path) -> None:
    """The line is printed after the port is bound: a client that reads it can connect at
    once, without waiting or retrying."""
    import os
    import re
    import socket

    from tests.support.serve import AnyPortServer

    with AnyPortServer({**os.environ, "LEGCHECK_DB": "off"}) as server:
        found = re.match(r"Leg Check is listening on http://127\.0\.0\.1:(\d+)/ ", server.line)
        assert found, server.line
        with socket.create_connection(("127.0.0.1", int(found[1])), timeout=5) as client:
            client.sendall(b"GET /health HTTP/1.0\r\n\r\n")
            assert client.recv(64).startswith(b"HTTP/1.1 200")
    assert server.returncode == 0
    assert "Traceback" not in server.errors


@pytest.mark.slow
def test_scripts_run_help_documents_its_flags_without_setting_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re
    import subprocess

    from skill.tools.paths import REPO_ROOT

    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run"), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("usage: scripts/run [--port PORT] [--host HOST]\n")
    option = re.compile(r"^\s+(?:-\w, )?(--[a-z-]+)", re.M)
    documented = set(option.findall(done.stdout))
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    offered = set(option.findall(capsys.readouterr().out))
    # scripts/run always passes --no-verify, and a skill id means nothing without verification
    assert documented == offered - {"--no-verify", "--skill-id"}
