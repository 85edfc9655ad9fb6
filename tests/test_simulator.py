"""The simulator end to end: conversations with the real skill, in-process and over HTTP,
and the ``legcheck simulate`` console fed from a pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skill.app import build_skill
from skill.strings import strings_for
from skill.tools.cli import main
from skill.tools.simulator.conversation import (
    Conversation,
    HttpEndpoint,
    InProcess,
    SimulatorError,
    ssml_to_text,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.web import create_app
from tests.support.small_model import small_model_dict
from tests.support.stores import sqlite_store

EN = strings_for("en-US")


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "en-US.json"
    path.write_text(json.dumps(small_model_dict()), encoding="utf-8")
    return path


@pytest.fixture
def model(model_file: Path) -> InteractionModel:
    return InteractionModel.load(model_file)


@pytest.fixture
def conversation(model: InteractionModel, tmp_path: Path) -> Conversation:
    skill = build_skill(sqlite_store(tmp_path / "sim.sqlite3"))
    return Conversation(model, InProcess(skill))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The web endpoint on a free loopback port, in a thread."""
    skill = build_skill(sqlite_store(tmp_path / "http.sqlite3"))
    app = create_app({"LEGCHECK_SKILL": skill, "LEGCHECK_VERIFY": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


# ------------------------------------------------------------------ conversations


def test_a_check_in_from_launch_to_advice(conversation: Conversation) -> None:
    launch = conversation.say("open leg check")
    assert launch.speech == EN.prompt("launch")
    assert launch.reprompt == EN.prompt("launch_reprompt")
    assert launch.session_open

    report = conversation.say("my calves are twitching")
    assert report.resolution.intent == "ReportSymptomsIntent"
    assert report.speech == EN.question("lasts_days")
    assert report.session_attributes["pending"] == "lasts_days"
    assert report.session_attributes["answers"] == {"lower_legs": True, "twitching": True}

    advice = conversation.say("no")
    assert "low electrolytes" in advice.speech
    assert "sports drink" in advice.speech
    assert advice.speech.endswith(EN.prompt("consent_ask", days=30))
    assert advice.session_open
    assert advice.card is not None and advice.card[0] == "Leg Check: low electrolytes"
    assert EN.prompt("consent_ask", days=30) not in advice.card[1]

    agreed = conversation.say("yes")
    assert agreed.speech == EN.prompt("consent_yes", days=30)
    assert agreed.should_end_session is True
    assert not conversation.in_session


def test_the_session_and_its_attributes_carry_across_turns(conversation: Conversation) -> None:
    first = conversation.say("ask leg check my legs are itchy")
    second = conversation.say("nope")
    assert first.request is not None and second.request is not None
    assert first.request["session"]["new"] is True
    assert second.request["session"]["new"] is False
    assert first.request["session"]["sessionId"] == second.request["session"]["sessionId"]
    assert second.request["session"]["attributes"] == first.session_attributes
    assert second.request["request"]["intent"]["name"] == "AMAZON.NoIntent"


def test_after_the_session_ends_alexa_keeps_the_words_to_herself(
    conversation: Conversation,
) -> None:
    conversation.say("open leg check")
    conversation.say("stop")
    after = conversation.say("yes")
    assert not after.routed
    assert after.response is None
    again = conversation.say("ask leg check what do you remember about me")
    assert again.routed and again.resolution.new_session


def test_one_user_and_device_across_sessions_so_memory_works(conversation: Conversation) -> None:
    first = conversation.say("ask leg check my calves are twitching")
    conversation.say("no")
    conversation.say("yes")  # remember my check-ins
    conversation.advance(days=3)
    second = conversation.say("ask leg check my calves are twitching")
    assert first.request is not None and second.request is not None
    system_first = first.request["context"]["System"]
    system_second = second.request["context"]["System"]
    assert system_first["user"] == system_second["user"]
    assert system_first["device"]["deviceId"] == system_second["device"]["deviceId"]
    assert first.request["session"]["sessionId"] != second.request["session"]["sessionId"]
    assert second.speech.startswith(
        "That's the second time this month you've mentioned "
        "twitching in your shins or calves. " + EN.raised("lingers_for_days")
    )
    assert EN.prompt("see_doctor_plainly") in second.speech


def test_the_clock_moves_the_request_timestamps(conversation: Conversation) -> None:
    before = conversation.say("open leg check")
    conversation.advance(days=2)
    after = conversation.say("open leg check")
    assert before.request is not None and after.request is not None
    assert before.request["request"]["timestamp"][:10] < after.request["request"]["timestamp"][:10]


def test_moving_the_clock_times_out_an_open_session(conversation: Conversation) -> None:
    conversation.say("open leg check")
    ended = conversation.advance(hours=1)
    assert ended is not None and ended.request is not None
    assert ended.request["request"] == {
        **ended.request["request"],
        "type": "SessionEndedRequest",
        "reason": "EXCEEDED_MAX_REPROMPTS",
    }
    assert not conversation.in_session
    with pytest.raises(ValueError):
        conversation.advance(days=-1)


def test_exit_sends_a_session_ended_request(conversation: Conversation) -> None:
    conversation.say("open leg check")
    turn = conversation.say("exit")
    assert turn.request is not None
    assert turn.request["request"]["type"] == "SessionEndedRequest"
    assert turn.request["request"]["reason"] == "USER_INITIATED"
    assert turn.speech == ""
    assert not conversation.in_session


def test_entity_resolution_reaches_the_skill_as_alexa_sends_it(conversation: Conversation) -> None:
    turn = conversation.say("ask leg check my elbows are twitchy")
    assert turn.request is not None
    slots = turn.request["request"]["intent"]["slots"]
    elbows = slots["BodyPart"]["resolutions"]["resolutionsPerAuthority"][0]
    twitchy = slots["Sensation"]["resolutions"]["resolutionsPerAuthority"][0]
    assert elbows["status"]["code"] == "ER_SUCCESS_NO_MATCH"
    assert slots["BodyPart"]["value"] == "elbows"
    assert twitchy["status"]["code"] == "ER_SUCCESS_MATCH"
    assert twitchy["values"][0]["value"] == {"name": "twitching", "id": "twitching"}
    assert slots["Timing"] == {"name": "Timing", "confirmationStatus": "NONE"}
    assert turn.session_attributes["answers"] == {"twitching": True}


def test_a_danger_sign_heard_as_words_ends_the_check_in_with_911(
    conversation: Conversation,
) -> None:
    turn = conversation.say("ask leg check my throat is closing")
    assert turn.speech.startswith("Call 911 now")
    assert turn.should_end_session is True


def test_over_http_the_same_conversation_works(model: InteractionModel, server: str) -> None:
    conversation = Conversation(model, HttpEndpoint(server))
    assert conversation.say("open leg check").speech == EN.prompt("launch")
    turn = conversation.say("burning in my toes")
    assert turn.resolution.intent == "ReportSymptomsIntent"
    # the small model resolves "toes" to between_toes; the interpreter reads the toes too
    assert turn.session_attributes["answers"] == {
        "burning": True,
        "toes": True,
        "between_toes": True,
    }
    assert turn.speech == EN.question(turn.session_attributes["pending"])
    assert conversation.in_session


def test_an_unreachable_endpoint_is_reported_plainly(model: InteractionModel) -> None:
    with pytest.raises(SimulatorError, match="could not reach http://127.0.0.1:9/"):
        Conversation(model, HttpEndpoint("http://127.0.0.1:9/", timeout=2)).say("open leg check")


def test_an_http_error_shows_the_status_and_reason(server: str) -> None:
    with pytest.raises(SimulatorError, match="HTTP 400"):
        HttpEndpoint(server).send({"version": "1.0"})
    with pytest.raises(SimulatorError, match="expected an http:// or https:// URL"):
        HttpEndpoint("ftp://example.org/")


def test_ssml_is_read_as_plain_text() -> None:
    assert ssml_to_text('<speak>Hi, <break time="400ms"/> it&apos;s me &amp; you.</speak>') == (
        "Hi, it's me & you."
    )


# ------------------------------------------------------------------ the console


def run_cli(
    args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_console_holds_a_conversation_from_a_pipe(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["--model", str(model_file)],
        "open leg check\nmy calves are twitching\nno\nno\nyes\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "User  > open leg check"
    assert f"Alexa > {EN.prompt('launch')}" in lines
    assert f"Alexa > {EN.question('lasts_days')}" in lines
    assert "Card  > Leg Check: low electrolytes" in lines
    assert "(the session has ended; the next line starts a new one)" in out
    assert lines[-1].startswith("        [not sent to the skill")


def test_console_json_shows_both_envelopes(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(
        ["--model", str(model_file), "--json"], "open leg check\n", monkeypatch, capsys
    )
    request = out.split("Request envelope:\n", 1)[1].split("\nResponse envelope:", 1)[0]
    assert json.loads(request)["request"]["type"] == "LaunchRequest"
    assert '"shouldEndSession": false' in out


def test_console_says_clearly_when_espeak_is_missing(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    code, out, err = run_cli(
        ["--model", str(model_file), "--speak"], "open leg check\n", monkeypatch, capsys
    )
    assert code == 0
    assert "--speak needs espeak-ng, which is not installed here" in err
    assert f"Alexa > {EN.prompt('launch')}" in out


def test_console_speaks_with_espeak_ng(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spoken = tmp_path / "spoken.txt"
    fake = bin_dir / "espeak-ng"
    fake.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {spoken}\n', encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, _, err = run_cli(
        ["--model", str(model_file), "--speak"], "open leg check\n", monkeypatch, capsys
    )
    assert code == 0 and err == ""
    assert spoken.read_text(encoding="utf-8") == f"-v|en-us|{EN.prompt('launch')}|"


def test_console_records_an_ask_cli_replay_file(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    replay = tmp_path / "replay.json"
    code, out, _ = run_cli(
        ["--model", str(model_file), "--skill-id", "amzn1.ask.skill.test"],
        f"open leg check\nhelp\n.record {replay}\nstop\n.quit\nyes\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert json.loads(replay.read_text(encoding="utf-8")) == {
        "skillId": "amzn1.ask.skill.test",
        "locale": "en-US",
        "type": "text",
        "userInput": ["open leg check", "help"],
    }
    assert f"Alexa > {EN.prompt('goodbye')}" in out
    assert "User  > yes" not in out  # .quit stopped the console


def test_console_commands_advance_the_clock_and_explain_themselves(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["--model", str(model_file)],
        "open leg check\n.advance 2\n.advance soon\n.help\n.dance\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "EXCEEDED_MAX_REPROMPTS" in out
    assert "(the clock moves forward 2 days)" in out
    assert ".record FILE" in out
    assert "expected a number of days >= 0, got 'soon'" in err
    assert "unknown command '.dance'" in err


def test_console_with_no_store_keeps_nothing(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(
        ["--model", str(model_file), "--db", "off"],
        "ask leg check what do you remember about me\n",
        monkeypatch,
        capsys,
    )
    assert EN.prompt("privacy_unavailable") in out


def test_console_keeps_check_ins_in_the_store_it_is_given(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "kept.sqlite3"
    run_cli(
        ["--model", str(model_file), "--db", str(db)],
        "ask leg check my calves are twitching\nno\n",
        monkeypatch,
        capsys,
    )
    assert db.exists()
    _, out, _ = run_cli(
        ["--model", str(model_file), "--db", str(db)],
        "ask leg check what do you remember about me\n",
        monkeypatch,
        capsys,
    )
    # a new run is a new user, so the first run's check-in is not theirs
    assert EN.prompt("privacy_nothing", days=30) in out


def test_console_talks_to_a_url(
    model_file: Path,
    server: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        ["--model", str(model_file), "--url", server], "open leg check\nhelp\n", monkeypatch, capsys
    )
    assert code == 0
    assert f"Alexa > {EN.prompt('help')}" in out


def test_console_reports_an_unreachable_url_and_fails(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["--model", str(model_file), "--url", "http://127.0.0.1:9/"],
        "open leg check\n",
        monkeypatch,
        capsys,
    )
    assert code == 1
    assert "could not reach http://127.0.0.1:9/" in err


def test_console_without_a_model_says_which_file_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["--model", str(tmp_path / "nope.json")], "", monkeypatch, capsys)
    assert code == 2
    assert "nope.json: the interaction model is missing" in err


@pytest.mark.slow
def test_legcheck_simulate_reads_a_real_pipe(model_file: Path, tmp_path: Path) -> None:
    env = {**os.environ, "LEGCHECK_DB": "off"}
    done = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", "simulate", "--model", str(model_file)],
        input="open leg check\nmy calves are twitching\nstop\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # a stop in the middle of a check-in ends it politely, with how to get help
    assert f"Alexa > {EN.prompt('check_in_stopped')}" in done.stdout
    assert done.stderr == ""


def test_console_says_when_espeak_ng_has_no_sound_device(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "espeak-ng"
    fake.write_text(
        '#!/bin/sh\necho "ALSA lib pcm.c: Unknown PCM default" >&2\n'
        'echo "error: No such file or directory" >&2\nexit 0\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = run_cli(
        ["--model", str(model_file), "--speak"], "open leg check\nhelp\n", monkeypatch, capsys
    )
    assert code == 0
    assert (
        err.count(
            "espeak-ng could not play the speech (error: No such file or "
            "directory); is there a sound device?"
        )
        == 1
    )
    assert f"Alexa > {EN.prompt('help')}" in out
