"""Scripted conversations: the ASK CLI replay format, the YAML test format on top of it,
and every conversation in ``tests/conversations/`` run against the real interaction model.

A new file dropped into ``tests/conversations/`` is run here without writing a test.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from skill.app import build_skill
from skill.errors import DataError
from skill.strings import strings_for
from skill.tools.cli import main
from skill.tools.models import model_path
from skill.tools.simulator.conversation import Conversation, InProcess
from skill.tools.simulator.nlu import InteractionModel
from skill.tools.simulator.replay import (
    alexa_apis_for,
    ask_replay_of,
    check_turn,
    discover,
    read_ask_replay,
    read_script,
    run_script,
)
from tests.support.markets import locale_models
from tests.support.small_model import small_model_dict
from tests.support.stores import sqlite_store

CONVERSATIONS = Path(__file__).resolve().parent / "conversations"
EN = strings_for("en-US")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small_model(tmp_path: Path) -> Path:
    return write(tmp_path / "en-US.json", json.dumps(small_model_dict()))


def run_file(
    path: Path, tmp_path: Path, model: InteractionModel | None = None, locale: str | None = None
) -> list[str]:
    """Every unmet expectation; an ASK CLI file (no expectations) must reach the skill
    on every turn without the skill's apology for an error. ``locale`` runs the file in
    that locale's model and words instead of the file's own."""
    script = read_script(path)
    model = model or InteractionModel.load(model_path(locale or script.locale))
    store = sqlite_store(tmp_path / "replay.sqlite3") if script.store else None
    with alexa_apis_for(script, model.locale) as apis:
        skill = build_skill(store, reminders=apis is not None)
        conversation = Conversation(model, InProcess(skill), alexa=apis, clock=script.now)
        result = run_script(script, conversation)
    failures = result.failures
    for st, turn, _ in result.turns:
        if turn is None or st.expect:
            continue
        if not turn.routed:
            failures.append(
                f"{st.place} ({st.user!r}): never reached the skill: {turn.resolution.note}"
            )
        elif EN.prompt("error") in turn.speech:
            failures.append(f"{st.place} ({st.user!r}): the skill apologised for an error")
    return failures


# ------------------------------------------------------------------ the library


def conversation_files() -> list[Path]:
    return discover(CONVERSATIONS)


MARKETS = locale_models()  # every locale with a model: a new one is tested without edits


@pytest.mark.slow
@pytest.mark.parametrize("locale", MARKETS)
@pytest.mark.parametrize("path", conversation_files(), ids=lambda p: p.name)
def test_conversation(path: Path, locale: str, tmp_path: Path) -> None:
    """Every conversation, once per locale, in that locale's model and words."""
    failures = run_file(path, tmp_path, locale=locale)
    assert not failures, "\n".join(failures)


def test_the_library_covers_every_cause_danger_sign_complaint_and_built_in() -> None:
    from skill.knowledge import load_knowledge

    kb = load_knowledge()
    names = {p.stem for p in conversation_files()}
    wanted = (
        {c.id for c in kb.causes}
        | {d.id for d in kb.danger_signs}
        | {f"complaint_{c.id}" for c in kb.complaints}
        | {
            "help",
            "stop",
            "cancel",
            "fallback",
            "repeat",
            "start_over",
            "navigate_home",
            "memory",
            "privacy",
            "forget",
            "stop_remembering",
            "start_remembering",
            "history",
            "out_of_scope",
        }
    )
    assert wanted <= {n.split("__")[0] for n in names}, sorted(
        wanted - {n.split("__")[0] for n in names}
    )


def test_every_conversation_says_what_it_checks_and_expects_something() -> None:
    for path in conversation_files():
        script = read_script(path)
        if path.suffix == ".json":
            continue
        assert len(script.description) > 20, path
        assert any(t.expect for t in script.turns), f"{path} expects nothing"


# ------------------------------------------------------------------ the ASK CLI format


def test_an_ask_cli_replay_file_is_read_with_the_ask_cli_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.json",
        json.dumps(
            {
                "skillId": "amzn1.ask.skill.x",
                "locale": "en-US",
                "type": "text",
                "userInput": [" open leg check ", "help", ".quit"],
            }
        ),
    )
    replay = read_ask_replay(path)
    assert replay.user_input == ("open leg check", "help", ".quit")
    assert json.loads(replay.to_json()) == {
        "skillId": "amzn1.ask.skill.x",
        "locale": "en-US",
        "type": "text",
        "userInput": ["open leg check", "help", ".quit"],
    }


@pytest.mark.parametrize(
    "data,complaint",
    [
        (
            {"locale": "en-US", "userInput": ["hi"]},
            "$.skillId: the replay file must contain skillId",
        ),
        ({"skillId": "x", "userInput": ["hi"]}, "$.locale: the replay file must contain locale"),
        (
            {"skillId": "x", "locale": "en-US", "userInput": ["hi", "  "]},
            "$.userInput[1]: userInput cannot contain an empty string",
        ),
        ({"skillId": "x", "locale": "en-US", "userInput": []}, "$.userInput: expected a non-empty"),
        (
            {"skillId": "x", "locale": "en-US", "type": "audio", "userInput": ["hi"]},
            '$.type: expected "text"',
        ),
    ],
)
def test_a_bad_replay_file_says_what_is_wrong(
    tmp_path: Path, data: dict[str, object], complaint: str
) -> None:
    path = write(tmp_path / "r.json", json.dumps(data))
    with pytest.raises(DataError) as err:
        read_ask_replay(path)
    assert f"{path}:{complaint}" in str(err.value)


def test_a_conversation_test_becomes_an_ask_cli_replay_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
description: Two check-ins three days apart.
turns:
  - user: ask leg check my calves are twitching
  - advance_days: 3
  - user: open leg check
    expect: {request: LaunchRequest}
""",
    )
    replay = ask_replay_of(read_script(path), "amzn1.ask.skill.real")
    assert replay.user_input == ("ask leg check my calves are twitching", "open leg check", ".quit")
    assert replay.skill_id == "amzn1.ask.skill.real"


# ------------------------------------------------------------------ the YAML format


@pytest.mark.parametrize(
    "text,complaint",
    [
        ("turns: [{user: hi}]", "$.description: say what the conversation checks"),
        ("description: Says hello to the skill.\nturns: []", "$.turns: expected a non-empty list"),
        (
            "description: Says hello to the skill.\nturns: [{user: hi, expect: {speech_has: x}}]",
            "$.turns[0].expect.speech_has: unknown expectation",
        ),
        (
            "description: Says hello to the skill.\nturns: [{user: hi, advance_days: 1}]",
            "$.turns[0]: expected either user",
        ),
        (
            "description: Says hello to the skill.\nturns: [{advance_days: -2}]",
            "$.turns[0]: advance_days and advance_hours must be numbers >= 0",
        ),
        (
            "description: Says hello to the skill.\nturns: [{user: hi, expect: {slots: [a]}}]",
            "$.turns[0].expect.slots: expected a mapping",
        ),
        (
            "description: Says hello to the skill.\nturns: [{user: hi}]\nspeed: fast",
            "$.speed: unknown key",
        ),
    ],
)
def test_a_bad_conversation_test_says_where(tmp_path: Path, text: str, complaint: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(DataError) as err:
        read_script(path)
    assert f"{path}:{complaint}" in str(err.value)


def test_each_expectation_reports_what_differed(small_model: Path, tmp_path: Path) -> None:
    model = InteractionModel.load(small_model)
    conversation = Conversation(model, InProcess(build_skill(None)))
    turn = conversation.say("ask leg check my knees are twitchy")
    assert (
        check_turn(
            turn,
            {
                "request": "IntentRequest",
                "intent": "ReportSymptomsIntent",
                "new_session": True,
                "slots": {
                    "Sensation": "twitching",
                    "BodyPart": {"value": "knees", "id": None},
                    "Timing": None,
                },
                "speech_contains": ["Has it lasted for a day"],
                "speech_not_contains": "911",
                "reprompt_contains": "yes, no, or not sure",
                "no_card": True,
                "session": {"pending": "lasts_days", "forget": None},
                "should_end_session": False,
            },
        )
        == []
    )
    failures = check_turn(
        turn,
        {
            "intent": "AnswerIntent",
            "slots": {"Sensation": "itching", "Timing": "after_run"},
            "speech_contains": "electrolytes",
            "speech_not_contains": "lasted for a day",
            "session": {"pending": None},
            "should_end_session": True,
            "card_title": "Leg Check",
        },
    )
    assert failures == [
        f"expected intent AnswerIntent, got ReportSymptomsIntent ({turn.resolution.describe()})",
        "expected slot Sensation to resolve to 'itching', got 'twitching' from 'twitchy'",
        f"expected slot Timing filled, it is empty ({turn.resolution.describe()})",
        f"expected speech containing 'electrolytes', heard {turn.speech!r}",
        f"expected speech without 'lasted for a day', heard {turn.speech!r}",
        "expected card title 'Leg Check', got 'no card'",
        'expected session attribute pending = null, got "lasts_days"',
        "expected shouldEndSession True, got False",
    ]


def test_words_alexa_keeps_to_herself_fail_an_expectation_of_speech(small_model: Path) -> None:
    conversation = Conversation(InteractionModel.load(small_model), InProcess(build_skill(None)))
    turn = conversation.say("help")
    [failure] = check_turn(turn, {"speech_contains": "help"})
    assert failure.startswith("expected the skill to answer, but no session is open")


# ------------------------------------------------------------------ from the command line


def simulate(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_replay_runs_an_ask_cli_file_until_quit(
    small_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(
        tmp_path / "r.json",
        json.dumps(
            {
                "skillId": "amzn1.ask.skill.x",
                "locale": "en-US",
                "type": "text",
                "userInput": ["open leg check", "help", ".quit", "stop"],
            }
        ),
    )
    code, out, _ = simulate(
        ["--model", str(small_model), "--replay", str(path)], monkeypatch, capsys
    )
    assert code == 0
    assert f"Alexa > {EN.prompt('help')}" in out
    assert "User  > stop" not in out


def test_replay_checks_a_conversation_test_and_records_it(
    small_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
description: Twitching calves, then a second check-in three days later.
turns:
  - user: ask leg check my calves are twitching
    expect: {intent: ReportSymptomsIntent, session: {pending: lasts_days}}
  - user: no
    expect: {speech_contains: low electrolytes, should_end_session: false}
  - user: yes
    expect: {should_end_session: true}
  - advance_days: 3
  - user: ask leg check my calves are twitching
    expect: {speech_contains: "a few days ago as well"}
""",
    )
    recorded = tmp_path / "recorded.json"
    code, out, _ = simulate(
        ["--model", str(small_model), "--replay", str(path), "--record", str(recorded)],
        monkeypatch,
        capsys,
    )
    assert code == 0, out
    assert out.startswith(f"# {path}: Twitching calves")
    assert "(the clock moves forward 3 days)" in out
    assert f"OK: {path} (4 turns, every expectation met)" in out
    assert "1 clock turn(s) left out" in out
    assert json.loads(recorded.read_text(encoding="utf-8"))["userInput"] == [
        "ask leg check my calves are twitching",
        "no",
        "yes",
        "ask leg check my calves are twitching",
        ".quit",
    ]


def test_replay_fails_with_each_unmet_expectation(
    small_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
description: A launch that expects the wrong greeting.
turns:
  - user: open leg check
    expect: {speech_contains: Good morning}
""",
    )
    code, out, err = simulate(
        ["--model", str(small_model), "--replay", str(path)], monkeypatch, capsys
    )
    assert code == 1
    assert "  FAIL  expected speech containing 'Good morning'" in out
    assert f"1 expectation(s) failed in {path}" in err
    assert f"{path}:$.turns[0] ('open leg check'): expected speech containing" in err


def test_replay_of_a_broken_file_says_where(
    small_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path / "c.yaml", "description: x\nturns: [{user: ''}]\n")
    code, _, err = simulate(
        ["--model", str(small_model), "--replay", str(path)], monkeypatch, capsys
    )
    assert code == 2
    assert f"{path}:$.turns[0].user: expected the words said" in err
