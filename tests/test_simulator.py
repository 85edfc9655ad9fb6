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
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skill.app import build_skill
from skill.strings import strings_for
from skill.tools.cli import main
from skill.tools.models import model_path
from skill.tools.simulator.answers import MAX_ANSWERS_IN_A_ROW, read_answers
from skill.tools.simulator.console import RESET, STYLES, Console, wants_colour
from skill.tools.simulator.conversation import (
    Conversation,
    HttpEndpoint,
    InProcess,
    SimulatorError,
    ssml_to_text,
)
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.runners import machine_runner, user_id_for
from skill.web import create_app
from tests.support.small_model import small_model_dict
from tests.support.stores import sqlite_store

EN = strings_for("en-US")
HEARD_ONE_CHECK_IN = EN.prompt(
    "history_summary",
    days=30,
    count=EN.count_checkins(1),
    symptoms=f"twitching in your shins or calves {EN.prompt('times_1')}",
)


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
        "open leg check\n.advance 2\n.advance soon\n.advance 1e12\n.help\n.dance\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "EXCEEDED_MAX_REPROMPTS" in out
    assert "(the clock moves forward 2 days)" in out
    assert ".record FILE" in out
    assert "expected a number of days from 0 to 3650, got 'soon'" in err
    assert "expected a number of days from 0 to 3650, got '1e12'" in err
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
        "ask leg check my calves are twitching\nno\nyes\n",
        monkeypatch,
        capsys,
    )
    assert db.exists()
    _, out, _ = run_cli(
        ["--model", str(model_file), "--db", str(db)],
        "ask leg check how have my legs been\n",
        monkeypatch,
        capsys,
    )
    # a new run is the same runner (this machine's), so the first run's check-in is theirs
    assert f"Alexa > {HEARD_ONE_CHECK_IN}" in out
    _, out, _ = run_cli(
        ["--model", str(model_file), "--db", str(db), "--user", "someone else"],
        "ask leg check how have my legs been\n",
        monkeypatch,
        capsys,
    )
    assert f"Alexa > {EN.prompt('history_none', days=30)}" in out


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
    env = {**os.environ, "LEGCHECK_DB": "off", "HOME": str(tmp_path)}
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


# ------------------------------------------------------------------ who is talking

CAME_BACK = "That's the second time this month you've mentioned twitching in your shins or calves."
"""What a runner who agreed to be remembered hears when the same symptom comes back."""
TODAY_CHECK_IN = "ask leg check my calves are twitching\nno\nyes\n"
"""A check-in that ends with the runner agreeing to be remembered."""


def test_a_named_runner_has_one_alexa_user_id_everywhere() -> None:
    alice = user_id_for("alice")
    assert alice == user_id_for("  Alice ")
    assert alice != user_id_for("bob")
    assert alice.startswith("amzn1.ask.account.legcheck-sim-")
    assert len(alice) == len(user_id_for("a much longer name than alice"))


def test_this_machines_runner_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "share" / "legcheck" / "simulator-user"
    first, problem = machine_runner(path)
    assert problem is None
    assert path.read_text(encoding="utf-8") == first.user_id + "\n"
    again, _ = machine_runner(path)
    assert again == first and again.kept_in == path
    assert "this machine's runner" in again.describe() and str(path) in again.describe()
    assert list(path.parent.iterdir()) == [path]  # nothing else left beside it


def test_this_machines_runner_that_cannot_be_kept_or_read_is_said(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    runner, problem = machine_runner(blocked / "simulator-user")
    assert problem is not None and problem.startswith("could not keep this machine's runner in")
    assert runner.kept_in is None and runner.user_id != machine_runner(blocked / "x")[0].user_id
    mangled = tmp_path / "simulator-user"
    mangled.write_text("amzn1.ask.account.somebody-else\n", encoding="utf-8")
    runner, problem = machine_runner(mangled)
    assert problem is not None and "remove it to make a new one" in problem
    assert mangled.read_text(encoding="utf-8") == "amzn1.ask.account.somebody-else\n"


def test_two_runs_as_the_same_named_runner_remember_them(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--model", str(model_file), "--db", str(tmp_path / "kept.sqlite3")]
    code, out, _ = run_cli([*db, "--user", "alice"], TODAY_CHECK_IN, monkeypatch, capsys)
    assert code == 0
    assert out.splitlines()[0] == f"        (talking as runner alice ({user_id_for('alice')}))"
    assert CAME_BACK not in out
    tomorrow = ["--user", "alice", "--days-later", "1"]
    code, out, _ = run_cli([*db, *tomorrow], TODAY_CHECK_IN, monkeypatch, capsys)
    assert code == 0
    assert "(the clock starts 1 day ahead: " in out
    assert f"Alexa > {CAME_BACK}" in out
    _, out, _ = run_cli(
        [*db, "--user", "bob", "--days-later", "1"], TODAY_CHECK_IN, monkeypatch, capsys
    )
    assert CAME_BACK not in out


def test_without_a_name_every_run_is_this_machines_runner(
    model_file: Path,
    tmp_path: Path,
    simulator_machine_user: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--model", str(model_file), "--db", str(tmp_path / "kept.sqlite3")]
    code, out, _ = run_cli(db, TODAY_CHECK_IN, monkeypatch, capsys)
    assert code == 0 and out.startswith("User  > ")  # piped output is as it always was
    _, out, _ = run_cli([*db, "--days-later", "2"], TODAY_CHECK_IN, monkeypatch, capsys)
    assert f"Alexa > {CAME_BACK}" in out
    _, out, _ = run_cli(db, ".user\n", monkeypatch, capsys)
    kept = simulator_machine_user.read_text(encoding="utf-8").strip()
    assert f"(talking as this machine's runner ({kept}, kept in {simulator_machine_user}))" in out


def test_an_unnamed_runner_is_for_one_run_when_the_machine_cannot_keep_one(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setattr(
        "skill.tools.simulator.runners.MACHINE_USER_FILE", blocked / "simulator-user"
    )
    code, out, err = run_cli(["--model", str(model_file)], "open leg check\n", monkeypatch, capsys)
    assert code == 0
    assert f"Alexa > {EN.prompt('launch')}" in out
    [line] = err.splitlines()
    assert line.startswith("legcheck simulate: could not keep this machine's runner in ")
    assert line.endswith("; this run talks as a runner for this run only")


def simulate_process(args: list[str], stdin: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``legcheck simulate ARGS`` in a child process, fed ``stdin`` from a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", "simulate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=120,
        check=False,
    )


HEARD_TWO_CHECK_INS = EN.prompt(
    "history_summary",
    days=30,
    count=EN.count_checkins(2),
    symptoms=f"twitching in your shins or calves {EN.prompt('times_2')}",
)


@pytest.mark.slow
def test_alice_today_and_alice_tomorrow_are_one_runner_in_process(tmp_path: Path) -> None:
    db = ["--user", "alice", "--db", str(tmp_path / "alice.sqlite3")]
    today = simulate_process(db, TODAY_CHECK_IN, tmp_path)
    assert today.returncode == 0, today.stderr
    assert CAME_BACK not in today.stdout
    tomorrow = simulate_process(
        [*db, "--days-later", "1"],
        TODAY_CHECK_IN + "ask leg check how have my legs been\n.history\n",
        tmp_path,
    )
    assert tomorrow.returncode == 0, tomorrow.stderr
    assert f"Alexa > {CAME_BACK}" in tomorrow.stdout
    assert f"Alexa > {HEARD_TWO_CHECK_INS}" in tomorrow.stdout
    assert "(runner alice: consent yes; 2 check-ins kept in the SQLite file" in tomorrow.stdout
    assert tomorrow.stderr == ""


@pytest.mark.slow
def test_alice_today_and_alice_tomorrow_are_one_runner_over_http(tmp_path: Path) -> None:
    from tests.support.serve import LegcheckServer

    env = {**os.environ, "LEGCHECK_DB": str(tmp_path / "server.sqlite3")}
    env.pop("LEGCHECK_USER_KEY_SECRET", None)
    with LegcheckServer(env) as server:
        url = ["--url", server.url, "--user", "alice"]
        today = simulate_process(url, TODAY_CHECK_IN, tmp_path)
        assert today.returncode == 0, today.stderr
        assert CAME_BACK not in today.stdout
        tomorrow = simulate_process(
            [*url, "--days-later", "1"],
            TODAY_CHECK_IN + "ask leg check how have my legs been\n.history\n",
            tmp_path,
        )
        someone_else = simulate_process([*url, "--user", "bob"], TODAY_CHECK_IN, tmp_path)
    assert tomorrow.returncode == 0, tomorrow.stderr
    assert f"Alexa > {CAME_BACK}" in tomorrow.stdout
    assert f"Alexa > {HEARD_TWO_CHECK_INS}" in tomorrow.stdout
    assert "(.history reads the store in this process only; over http://" in tomorrow.stdout
    assert CAME_BACK not in someone_else.stdout


# ------------------------------------------------------------------ console commands


def test_dot_user_shows_and_switches_the_runner_in_a_new_session(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--model", str(model_file), "--db", str(tmp_path / "kept.sqlite3")]
    code, out, _ = run_cli(
        [*db, "--user", "alice"],
        TODAY_CHECK_IN + ".user\nopen leg check\n.user bob\n"
        "ask leg check how have my legs been\n.user alice\nask leg check how have my legs been\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    lines = out.splitlines()
    at = lines.index("User  > .user bob")
    assert lines[at + 1] == "        [SessionEndedRequest USER_INITIATED: the open session ended]"
    assert lines[at + 2] == f"        (talking as runner bob ({user_id_for('bob')}))"
    assert lines[at + 3] == "User  > ask leg check how have my legs been"
    assert "[new session]" in lines[at + 4]
    assert f"Alexa > {EN.prompt('history_none', days=30)}" in lines[at:]
    back = lines.index("User  > .user alice")
    assert f"Alexa > {HEARD_ONE_CHECK_IN}" in "\n".join(lines[back:])
    assert lines.count(f"        (talking as runner alice ({user_id_for('alice')}))") == 3


def test_dot_locale_shows_switches_and_refuses_an_unknown_market(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["--db", "off"],
        ".locale\nopen leg check\n.locale fr-FR\n.locale en-GB\nopen leg check\nmy legs hurt\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert f"locale en-US, the interaction model {model_path('en-US')}; .locale LOCALE" in out
    assert err == (
        "legcheck simulate: expected a locale, one of en-AU, en-CA, en-GB, en-IN, en-US; "
        "got 'fr-FR'\n"
    )
    after = out.split("User  > .locale en-GB\n", 1)[1]
    assert after.startswith(
        "        [SessionEndedRequest USER_INITIATED: the open session ended]\n"
        f"        (locale en-GB, the interaction model {model_path('en-GB')})\n"
    )
    assert "[LaunchRequest [new session]]" in after


def test_dot_locale_keeps_to_the_model_file_it_was_given(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["--model", str(model_file)], ".locale en-GB\n", monkeypatch, capsys)
    assert code == 0
    assert f"this run talks through the model {model_file} (--model)" in err


def test_dot_history_shows_what_the_store_keeps_for_this_runner(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "kept.sqlite3"
    args = ["--model", str(model_file), "--db", str(db), "--user", "alice"]
    _, out, _ = run_cli(args, ".history\n" + TODAY_CHECK_IN + ".history\n", monkeypatch, capsys)
    first, second = out.split("User  > .history\n")[1:]
    assert first.startswith(f"        (nothing is kept for runner alice in the SQLite file {db})")
    today = datetime.now(UTC).date()
    assert second == (
        f"        (runner alice: consent yes; 1 check-in kept in the SQLite file {db}, as of "
        f"{today})\n"
        f"        {today}  lower_legs, twitching  -> low_electrolytes (self_care)\n"
    )
    _, out, _ = run_cli([*args, "--days-later", "31"], ".history\n", monkeypatch, capsys)
    assert f"(nothing is kept for runner alice in the SQLite file {db})" in out  # 30 days on
    _, out, _ = run_cli(
        ["--model", str(model_file), "--db", "off"], ".history\n", monkeypatch, capsys
    )
    assert "(no check-in store in this run (--db off): nothing is kept)" in out


def test_dot_history_says_when_the_store_cannot_be_read(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.errors import StoreUnavailableError
    from skill.tools.simulator import command
    from tests.support.stores import FailingStore

    @contextmanager
    def failing(db: str | None, store: bool = True, reminders: bool = False) -> Iterator[InProcess]:
        broken = FailingStore(fail_read=StoreUnavailableError("the disk is gone"))
        yield InProcess(build_skill(broken), broken)

    monkeypatch.setattr(command, "in_process", failing)
    _, out, _ = run_cli(["--model", str(model_file)], ".history\n", monkeypatch, capsys)
    assert "could not be read: the disk is gone)" in out


def test_dot_history_over_a_url_says_it_reads_in_process_only(
    model_file: Path,
    server: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run_cli(
        ["--model", str(model_file), "--url", server], ".history\n", monkeypatch, capsys
    )
    assert (
        f"(.history reads the store in this process only; over {server} the store is the "
        "server's: say \"how have my legs been\" to hear the skill's own summary)"
    ) in out


def test_help_lists_every_console_command(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(["--model", str(model_file)], ".help\n", monkeypatch, capsys)
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  .")}
    assert listed == {
        ".quit",
        ".record",
        ".advance",
        ".user",
        ".locale",
        ".history",
        ".permission",
        ".consent",
        ".reminders",
        ".help",
    }


# ------------------------------------------------------------------ answers as the questions come


def test_an_answers_file_is_a_runner_answering_as_the_questions_come(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--model", str(model_file), "--db", str(tmp_path / "kept.sqlite3"), "--user", "al"]
    code, out, _ = run_cli([*args, "--answers", str(EXAMPLE_ANSWERS)], "", monkeypatch, capsys)
    assert code == 0
    said = [line for line in out.splitlines() if line.startswith("User  > ")]
    assert said == ["User  > ask leg check my calves are twitching", "User  > no", "User  > yes"]
    assert out.rstrip().endswith(EN.prompt("consent_yes", days=30) + "\n" + SESSION_ENDED)
    assert CAME_BACK not in out
    # the same runner the next day, in another run: they came back
    code, out, _ = run_cli(
        [*args, "--answers", str(EXAMPLE_ANSWERS), "--days-later", "1"], "", monkeypatch, capsys
    )
    assert code == 0
    assert f"Alexa > {CAME_BACK}" in out


SESSION_ENDED = "        (the session has ended; the next line starts a new one)"
EXAMPLE_ANSWERS = Path(__file__).parent / "answers" / "twitching_calves.yaml"


def test_the_answers_stop_where_no_rule_matches_and_input_carries_on(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"answers": {"LASTED.*MORE": "no"}}), encoding="utf-8")
    code, out, _ = run_cli(
        ["--model", str(model_file), "--answers", str(rules)],
        "open leg check\nmy calves are twitching\nstop\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    lines = out.splitlines()
    stopped = f"        (no answer in {rules} matches what Alexa said; the next line answers)"
    assert lines[3] == stopped  # after the launch: no rule for "how do your legs feel"
    assert lines[lines.index("User  > my calves are twitching") + 3] == "User  > no"
    assert lines.count(stopped) == 2  # and after the consent question
    assert "User  > stop" in lines


def test_answers_that_go_round_for_ever_are_stopped(
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('answers:\n  ".": help\n', encoding="utf-8")
    code, out, _ = run_cli(
        ["--model", str(model_file), "--answers", str(rules)],
        "open leg check\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert out.count("User  > help") == MAX_ANSWERS_IN_A_ROW
    assert out.rstrip().endswith(
        f"(the answers stop: {MAX_ANSWERS_IN_A_ROW} in a row in one session; is a rule in "
        f"{rules} answering a question the skill keeps asking?)"
    )


@pytest.mark.parametrize(
    "text,problems",
    [
        ("answers: []\n", ["$.answers: expected a mapping of what Alexa says"]),
        (
            "start: [open]\nvoice: x\nanswers:\n  lasted: true\n  '': 'no'\n",
            [
                "$.voice: unknown key; expected one of ['answers', 'description', 'start']",
                "$.start: expected the words the runner says first, as text",
                "$.answers['lasted']: expected the runner's answer, as text, got True",
                "$.answers['']: expected what Alexa says, as text",
            ],
        ),
        ("answers: {a: [b\n", ["not valid YAML: while parsing a flow sequence"]),
        ("- a\n", ["expected a mapping with answers (and description, start)"]),
    ],
)
def test_an_answers_file_that_cannot_work_is_refused_with_every_problem(
    text: str,
    problems: list[str],
    model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    code, out, err = run_cli(
        ["--model", str(model_file), "--answers", str(rules)],
        "open leg check\n",
        monkeypatch,
        capsys,
    )
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == len(problems)
    for line, problem in zip(lines, problems, strict=True):
        assert line.startswith(f"legcheck simulate: {rules}")
        assert problem in line


def test_an_answer_rule_matches_words_or_a_regular_expression(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'answers:\n  "lasted for a day?": "no"\n  "(worse": "yes"\n  "^has it .* 3 days": 3\n',
        encoding="utf-8",
    )
    answers = read_answers(rules)
    assert [r.answer for r in answers.rules] == ["no", "yes", "3"]
    assert answers.answer("Has it LASTED FOR A DAY? or more?") == answers.rules[0]
    assert answers.answer("Did it get (worse the longer you ran?") == answers.rules[1]
    assert answers.answer("has it been going on for 3 days?") == answers.rules[2]
    assert answers.answer("How do your legs feel?") is None


# ------------------------------------------------------------------ colours


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colours_on_a_terminal_each_kind_of_line_its_own(model_file: Path) -> None:
    out = Terminal()
    conversation = Conversation(InteractionModel.load(model_file), InProcess(build_skill(None)))
    console = Console(conversation, out, io.StringIO(), colour=wants_colour(out, {}))
    console.run(["ask leg check my calves are twitching", "no"])
    lines = out.getvalue().splitlines()
    styles = {line.split("m", 1)[0] + "m" for line in lines}
    assert all(line.endswith(RESET) for line in lines)
    assert styles == {STYLES[k] for k in ("user", "note", "alexa", "card")}
    assert lines[0] == f"{STYLES['user']}User  > ask leg check my calves are twitching{RESET}"
    assert lines[2].startswith(f"{STYLES['alexa']}Alexa > ")
    assert console.prompt() == f"\001{STYLES['user']}\002User  > \001{RESET}\002"


def test_no_colours_when_piped_or_asked_not_to() -> None:
    assert wants_colour(Terminal(), {}) is True
    assert wants_colour(Terminal(), {"NO_COLOR": "1"}) is False
    assert wants_colour(Terminal(), {"TERM": "dumb"}) is False
    assert wants_colour(io.StringIO(), {}) is False


# ------------------------------------------------------------------ flags that cannot work


@pytest.mark.parametrize(
    "args,message",
    [
        (["--replay", "missing.json"], "missing.json: no such file"),
        (["--replay", "{tmp}"], "{tmp}: is a folder, not a file"),
        (["--replay", "{tmp}/bad.json"], "{tmp}/bad.json:1:2: not valid JSON"),
        (["--answers", "{tmp}/nope.yaml"], "{tmp}/nope.yaml: no such file"),
        (["--model", "{tmp}"], "{tmp}: cannot be read: Is a directory"),
        (["--record", "{tmp}/no/such/folder/r.json"], "the folder {tmp}/no/such/folder does not"),
        (["--url", "localhost:5000"], "--url: expected an http:// or https:// URL, got"),
        (["--locale", "fr-FR"], "expected --locale to be one of en-AU, en-CA, en-GB, en-IN, en-US"),
        (["--user", " "], "expected --user NAME, a runner's name; got ' '"),
        (["--days-later", "1e12"], "expected --days-later DAYS, a number from 0 to 3650"),
        (["--days-later", "-1"], "expected --days-later DAYS, a number from 0 to 3650; got '-1'"),
        (
            ["--days-later", "tomorrow"],
            "expected --days-later DAYS, a number from 0 to 3650; got 'tom",
        ),
        (
            ["--answers", str(EXAMPLE_ANSWERS), "--replay", "x.yaml"],
            "--answers gives the console its answers; --replay runs a script with its own",
        ),
    ],
)
def test_a_flag_that_cannot_work_is_refused_in_one_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "bad.json").write_text("{bad", encoding="utf-8")
    code, out, err = run_cli(
        [a.format(tmp=tmp_path) for a in args], "open leg check\n", monkeypatch, capsys
    )
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("legcheck simulate: ")
    assert message.format(tmp=tmp_path) in line


def test_the_answers_file_docs_tooling_shows_is_the_example_file() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "tooling.md").read_text(encoding="utf-8")
    shown = docs.split(f"(../tests/answers/{EXAMPLE_ANSWERS.name}):\n\n```yaml\n")
    assert len(shown) == 2
    rules = [
        line
        for line in EXAMPLE_ANSWERS.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert shown[1].split("\n```", 1)[0].splitlines() == rules
