"""``legcheck simulate --reminders``: Alexa's Reminders and Settings APIs answered on loopback,
the permission granted, asked for by voice and answered, each reminder printed; and the
conversation tests' keys for the same (``alexa``, ``now``, ``consent``, ``permission``)."""

from __future__ import annotations

import io
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from skill.errors import DataError
from skill.reminders import REMINDERS_SCOPE
from skill.strings import strings_for
from skill.tools.cli import main
from skill.tools.simulator.alexa_apis import LocalAlexaApis, zone_for
from skill.tools.simulator.conversation import permission_answer_of
from skill.tools.simulator.replay import read_script

EN = strings_for("en-US")
TO_THE_OFFER = "ask leg check my calves are twitching\nno\nyes\n"
"""To the advice, then yes to being remembered: the offer comes."""
CONVERSATIONS = Path(__file__).resolve().parent / "conversations"


def run_cli(
    args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def call(apis: LocalAlexaApis, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        apis.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read())


# ------------------------------------------------------------------ the console


def test_the_whole_loop_in_one_console_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["--reminders"],
        TO_THE_OFFER + "yes\nI approve\n.reminders\n.advance 1\nopen leg check\nyes\n",
        monkeypatch,
        capsys,
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert any(
        "Alexa's Reminders and Settings APIs answered at http://127.0.0.1:" in ln for ln in lines
    )
    assert any("Would you like a reminder tomorrow at" in ln for ln in lines)
    assert any(
        ln.startswith('        (Alexa asks: "Do you give Leg Check permission') for ln in lines
    )
    assert "        [Connections.Response]" in lines
    confirmed = next(ln for ln in lines if "I'll remind you tomorrow at" in ln)
    assert confirmed.endswith("You can cancel it in the Alexa app.")
    [printed] = [ln for ln in lines if ln.startswith("Reminder> set for ")]
    assert printed.endswith(f"(en-US, with a push notification): {EN.prompt('reminder_text')}")
    assert f"{zone_for('en-US')} (en-US" in printed
    assert any(ln.startswith("        reminder set for ") for ln in lines)  # .reminders
    assert "Yesterday you told me about twitching in your shins or calves" in out
    assert "please see a doctor" in out


def test_a_granted_permission_sets_it_at_once_and_a_failure_is_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["--reminders"],
        ".permission grant\n.reminders fail 503\n"
        + TO_THE_OFFER
        + "yes\n.reminders ok\n.reminders\n",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "(the reminders permission is granted, as the Alexa app would show it)" in out
    assert "(setting a reminder now fails with HTTP 503; .reminders ok undoes it)" in out
    assert f"Alexa > {EN.prompt('reminder_failed_service_down')}" in out
    assert "Alexa asks" not in out
    assert "(no reminder has been set in this run)" in out


def test_denying_the_permission_shows_the_card_for_the_alexa_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(
        ["--reminders"], TO_THE_OFFER + "yes\n.consent deny\n.permission\n", monkeypatch, capsys
    )
    assert f"Alexa > {EN.prompt('reminder_permission_denied')}" in out
    assert f"Card  > Permission\n        asks to grant {REMINDERS_SCOPE}" in out
    assert "(the reminders permission is not granted, as the Alexa app would show it)" in out


def test_the_reminder_commands_say_what_they_need(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, err = run_cli(
        [], ".permission grant\n.reminders\n.consent accept\n", monkeypatch, capsys
    )
    assert err.splitlines() == [
        "legcheck simulate: .permission needs the simulated Alexa APIs: legcheck simulate "
        "--reminders",
        "legcheck simulate: .reminders needs the simulated Alexa APIs: legcheck simulate "
        "--reminders",
        "legcheck simulate: .consent answers Alexa's permission question, and none is asked now",
    ]
    _, _, err = run_cli(
        ["--reminders"], ".permission maybe\n.reminders fail 42\n", monkeypatch, capsys
    )
    assert err.splitlines() == [
        "legcheck simulate: expected .permission grant or .permission revoke, got 'maybe'",
        "legcheck simulate: expected .reminders fail STATUS, an HTTP status from 300 to 599; "
        "got '42'",
    ]


def test_without_reminders_the_console_is_as_it_was(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli([], TO_THE_OFFER, monkeypatch, capsys)
    assert f"Alexa > {EN.prompt('consent_yes', days=30)}" in out
    assert "reminder" not in out.lower()


@pytest.mark.slow  # every market's model
def test_the_loop_replays_as_a_conversation_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = CONVERSATIONS / "reminder.yaml"
    code, out, err = run_cli(["--replay", str(path)], "", monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert "Reminder> set for 2026-11-24 19:00 America/New_York" in out
    assert out.splitlines()[-1].startswith(f"OK: {path} (")


# ------------------------------------------------------------------ the simulated APIs


def test_the_simulated_apis_answer_as_alexas_do() -> None:
    with LocalAlexaApis("Europe/London") as apis:
        zone = "/v2/devices/amzn1.ask.device.X/settings/System.timeZone"
        assert call(apis, zone, apis.token) == (200, "Europe/London")
        assert call(apis, zone, "someone-else")[0] == 401
        reminder = {"trigger": {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": 60}}
        assert call(apis, "/v1/alerts/reminders", apis.token, reminder)[0] == 401  # not granted
        apis.granted = True
        status, answer = call(apis, "/v1/alerts/reminders", apis.token, reminder)
        assert (status, answer["alertToken"]) == (201, "amzn1.alert.simulated-1")
        assert apis.reminders[0].describe() == "in 0.0166667 hours (): "
        assert call(apis, "/v1/alerts/reminders", apis.token, {"nothing": 1})[0] == 400
        apis.failure = 429
        assert call(apis, "/v1/alerts/reminders", apis.token, reminder)[0] == 429
        assert call(apis, "/v1/elsewhere", apis.token)[0] == 404


@pytest.mark.parametrize(
    "said,answer",
    [
        ("I approve", "ACCEPTED"),
        ("yes", "ACCEPTED"),
        ("yes please", "ACCEPTED"),
        ("no", "DENIED"),
        ("no thanks", "DENIED"),
        ("what time is it", "NOT_ANSWERED"),
    ],
)
def test_words_to_alexas_permission_question(said: str, answer: str) -> None:
    assert permission_answer_of(said, "en-GB") == answer


# ------------------------------------------------------------------ conversation tests


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text,complaint",
    [
        (
            "alexa: {time_zone: 5, permission: maybe, failure: 42, colour: red}\n",
            "$.alexa: expected a mapping of ['failure', 'permission', 'time_zone']",
        ),
        ("alexa: {permission: maybe}\n", "$.alexa.permission: expected granted or not_granted"),
        ("alexa: {failure: 42}\n", "$.alexa.failure: expected an HTTP status from 300 to 599"),
        ('now: "2026-11-24T00:07:00"\n', "$.now: expected a date and time with its zone"),
        ("turns2: [{consent: accept}]\n", "$.alexa: consent and permission turns need the Alexa"),
        ("turns2: [{consent: maybe}]\n", "$.turns[1]: expected consent: accept, deny or none"),
        (
            "turns2: [{user: hi, expect: {reminder: {when: soon}}}]\n",
            "$.turns[1].expect.reminder: expected null or a mapping of",
        ),
    ],
)
def test_a_conversation_test_with_reminders_that_cannot_work_says_where(
    tmp_path: Path, text: str, complaint: str
) -> None:
    head = "description: A conversation with reminders.\n"
    turns = "turns:\n  - user: open leg check\n"
    if text.startswith("turns2: "):
        extra = text.removeprefix("turns2: [").removesuffix("]\n")
        body = head + turns + f"  - {extra}\n"
    else:
        body = head + text + turns
    with pytest.raises(DataError) as err:
        read_script(write(tmp_path, body))
    assert complaint in str(err.value)


def test_a_conversation_test_reads_its_clock_and_apis(tmp_path: Path) -> None:
    script = read_script(CONVERSATIONS / "reminder.yaml")
    assert script.now is not None and script.now.isoformat() == "2026-11-24T00:07:00+00:00"
    assert script.alexa is not None
    assert (script.alexa.time_zone, script.alexa.granted) == ("America/New_York", False)
    plain = read_script(CONVERSATIONS / "memory.yaml")
    assert (plain.now, plain.alexa) == (None, None)
