"""The web console's backend: its page and static files, and its JSON API, through Flask's test
client on the app ``legcheck serve --no-verify`` builds (the browser tests of the page are in
``tests/test_console_page.py``).

What a user of the page would notice: what Alexa says, shows and sends for each device and
market, how the words resolved, the runner's memory as the clock moves, the reminder loop,
conversation tests stepped with each expectation met or not, the replay file, and a one-line
reason for every request that cannot be done. The production app has no console at all.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.app import build_skill
from skill.errors import ConfigError
from skill.settings import Settings
from skill.store import Deployment
from skill.tools.console import add_console, development_app
from skill.tools.console.api import BACKEND_KEY, INTERNAL_ERROR, RENDERER_PATH, STATIC_DIR
from skill.tools.console.sessions import ConsoleBackend, ConsoleSession
from skill.tools.models import model_locales
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator.replay import read_ask_replay, read_script
from skill.web import create_app
from tests.support.serve import AnyPortServer

API = "/console/api"
ITCHY = ("ask leg check my legs are itchy", "no", "yes")
"""A check-in of itchy legs to its advice: the safety question, eased once cooled, advice."""
CONSENTED = ("ask leg check my shins are tingling", "no", "no", "no", "no", "yes")
"""Tingling shins to the advice, then yes to "may I remember your check-ins?"."""


def dev_app(folder: Path, reminders: bool) -> Flask:
    """The app ``legcheck serve --no-verify`` serves, its store an SQLite file in ``folder``."""
    env = {
        "LEGCHECK_DB": str(folder / "checkins.sqlite3"),
        "LEGCHECK_REMINDERS": "on" if reminders else "off",
    }
    return development_app(Settings.load(Deployment.LOCAL, env=env), {"TESTING": True})


@pytest.fixture
def console_app(tmp_path: Path) -> Iterator[Flask]:
    """The development server's app with LEGCHECK_REMINDERS=on (as the reminder loop needs)."""
    app = dev_app(tmp_path, reminders=True)
    yield app
    app.extensions[BACKEND_KEY].close()


@pytest.fixture
def plain_app(tmp_path: Path) -> Iterator[Flask]:
    """The development server's app with reminders off (the default)."""
    app = dev_app(tmp_path, reminders=False)
    yield app
    app.extensions[BACKEND_KEY].close()


class Console:
    """The page's side of the API: one console session at a time."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.id = ""
        self.state: dict[str, Any] = {}

    def post(self, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        reply = self.client.post(f"{API}/sessions/{self.id}/{path}", json=body)
        assert reply.status_code == status, reply.get_data(as_text=True)
        data: dict[str, Any] = reply.get_json()
        if "state" in data:
            self.state = data["state"]
        return data

    def open(self, locale: str = "en-US", device: str = "speaker") -> Console:
        reply = self.client.post(f"{API}/sessions", json={"locale": locale, "device": device})
        assert reply.status_code == 200, reply.get_data(as_text=True)
        data = reply.get_json()
        self.id, self.state = data["id"], data["state"]
        return self

    def say(self, *utterances: str) -> dict[str, Any]:
        """Say each in turn; the last turn."""
        turn: dict[str, Any] = {}
        for utterance in utterances:
            (turn,) = self.post("say", {"utterance": utterance})["turns"]
        return turn


@pytest.fixture
def console(console_app: Flask) -> Console:
    return Console(console_app.test_client())


def fetch(client: FlaskClient, url: str) -> Any:
    """GET ``url``: the answer, read whole and closed (a file sent is closed with it)."""
    reply = client.get(url)
    reply.get_data()
    reply.close()
    return reply


def refused(reply: Any, status: int, *words: str) -> str:
    """The one-line reason of a refused request, which names ``words``."""
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.is_json
    error = reply.get_json()["error"]
    assert isinstance(error, str) and error and "\n" not in error
    for word in words:
        assert word in error, error
    return str(error)


# ------------------------------------------------------------------ where it is served


def test_the_production_app_has_no_console(client: FlaskClient) -> None:
    assert client.get("/console").status_code == 404
    assert client.get(f"{API}/options").status_code == 404
    assert client.post(f"{API}/sessions", json={}).status_code == 404


def test_the_console_is_never_added_to_an_app_that_verifies_requests(skill_obj: Any) -> None:
    app = create_app({"LEGCHECK_SKILL": skill_obj, "LEGCHECK_SKILL_ID": "amzn1.ask.skill.x"})
    with pytest.raises(ConfigError, match="verifies requests"):
        add_console(app)
    assert app.test_client().get("/console").status_code == 404


def test_the_web_extra_never_imports_the_tooling() -> None:
    reaches = []
    for path in sorted((REPO_ROOT / "skill" / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            reaches += [f"{path.name}:{node.lineno}: {n}" for n in names if "skill.tools" in n]
    assert not reaches


def test_the_development_server_serves_the_page_and_its_files(console_app: Flask) -> None:
    client = console_app.test_client()
    page = fetch(client, "/console")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert page.get_data() == (STATIC_DIR / "console.html").read_bytes()
    script = fetch(client, "/console/static/console.js")
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"  # an ES module must come as JavaScript
    assert fetch(client, "/console/static/console.css").mimetype == "text/css"
    for missing in ("nothing.js", "../api.py", "..%2F__init__.py"):
        reply = fetch(client, f"/console/static/{missing}")
        assert reply.status_code == 404
        assert reply.mimetype == "text/plain"


def test_the_apl_renderer_is_served_where_installed_and_a_note_says_how_otherwise(
    console_app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = console_app.test_client()
    options = client.get(f"{API}/options").get_json()
    renderer = fetch(client, "/console/static/apl-viewhost-web.js")
    assert options["renderer"] == RENDERER_PATH.is_file()
    if options["renderer"]:
        assert renderer.status_code == 200
        assert renderer.mimetype == "text/javascript"
        assert renderer.get_data() == RENDERER_PATH.read_bytes()
    import skill.tools.console.api as api

    monkeypatch.setattr(api, "RENDERER_PATH", tmp_path / "absent" / "index.js")
    assert client.get(f"{API}/options").get_json()["renderer"] is False
    missing = fetch(client, "/console/static/apl-viewhost-web.js")
    assert missing.status_code == 404
    assert missing.mimetype == "text/plain"
    assert "scripts/setup" in missing.get_data(as_text=True)
    assert "scripts/setup" in options["rendererNote"]


def test_the_options_list_every_market_every_device_and_the_conversations(
    console_app: Flask, plain_app: Flask
) -> None:
    options = console_app.test_client().get(f"{API}/options").get_json()
    assert options["locales"] == model_locales()
    assert {"en-AU", "en-CA", "en-GB", "en-IN", "en-US"} <= set(options["locales"])
    assert options["devices"] == [
        {"id": "speaker", "label": "Echo Dot (speaker, no screen)", "viewport": None},
        {
            "id": "show",
            "label": "Echo Show (screen)",
            "viewport": {"shape": "RECTANGLE", "width": 1024, "height": 600, "dpi": 160},
        },
        {
            "id": "round",
            "label": "Echo Spot (round screen)",
            "viewport": {"shape": "ROUND", "width": 480, "height": 480, "dpi": 160},
        },
    ]
    assert options["reminders"] is True
    assert "post_run_itch.yaml" in options["conversations"]
    assert "ask_cli_quick_check_in.json" in options["conversations"]
    plain = plain_app.test_client().get(f"{API}/options").get_json()
    assert plain["reminders"] is False
    assert "LEGCHECK_REMINDERS=on scripts/run" in plain["remindersNote"]


# ------------------------------------------------------------------ talking


def test_an_itchy_legs_check_in_on_a_speaker_comes_to_its_advice_with_a_card_and_no_screen(
    console: Console,
) -> None:
    console.open("en-US", "speaker")
    advice = console.say(*ITCHY)
    assert "the ordinary itch or tingle many runners get" in advice["speech"]
    assert "Drink plenty of fluids." in advice["speech"]
    assert advice["ssml"].startswith("<speak>")
    assert advice["card"]["type"] == "Simple"
    assert advice["card"]["title"] == "Leg Check: the ordinary itch or tingle many runners get"
    assert "Drink plenty of fluids." in advice["card"]["text"]
    assert advice["apl"] is None
    assert advice["screenLines"] == []
    context = advice["request"]["context"]
    assert "Viewport" not in context
    assert context["System"]["device"]["supportedInterfaces"] == {}
    assert advice["resolution"]["intent"] == "AMAZON.YesIntent"
    assert advice["response"]["response"]["card"]["title"] == advice["card"]["title"]


@pytest.mark.parametrize(
    ("device", "shape", "width"), [("show", "RECTANGLE", 1024), ("round", "ROUND", 480)]
)
def test_on_a_screen_the_advice_comes_with_its_apl_document_and_data_source(
    console: Console, device: str, shape: str, width: int
) -> None:
    console.open("en-US", device)
    advice = console.say(*ITCHY)
    context = advice["request"]["context"]
    assert "Alexa.Presentation.APL" in context["System"]["device"]["supportedInterfaces"]
    assert context["Viewport"]["shape"] == shape
    assert context["Viewport"]["pixelWidth"] == width
    apl = advice["apl"]
    assert apl["document"]["type"] == "APL"
    assert "mainTemplate" in apl["document"]
    assert "the ordinary itch or tingle many runners get" in json.dumps(apl["datasources"])
    assert advice["screenLines"][0] == "Leg Check: the ordinary itch or tingle many runners get"


def test_an_emergency_in_en_gb_says_shows_and_carries_999(console: Console) -> None:
    console.open("en-GB", "show")
    turn = console.say("ask leg check i passed out during my run")
    assert "Call 999 now" in turn["speech"]
    assert "999" in turn["card"]["text"]
    assert turn["apl"]["datasources"]["checkin"]["properties"]["number"] == "999"
    assert "911" not in json.dumps(turn["apl"])
    assert turn["sessionOpen"] is False
    assert console.state["locale"] == "en-GB"


def test_each_turn_shows_how_the_words_resolved(console: Console) -> None:
    console.open()
    turn = console.say("ask leg check my legs are itchy")
    resolution = turn["resolution"]
    assert resolution["requestType"] == "IntentRequest"
    assert resolution["intent"] == "ReportSymptomsIntent"
    assert resolution["newSession"] is True
    slots = {s["name"]: s for s in resolution["slots"]}
    assert slots["Sensation"] == {
        "name": "Sensation",
        "value": "itchy",
        "id": "itching",
        "resolvedName": slots["Sensation"]["resolvedName"],
        "slotType": slots["Sensation"]["slotType"],
        "status": "ER_SUCCESS_MATCH",
    }
    assert slots["BodyPart"]["id"] == "legs"
    sent = turn["request"]["request"]
    assert sent["intent"]["name"] == "ReportSymptomsIntent"
    assert turn["sessionOpen"] is True and console.state["sessionOpen"] is True
    kept = console.say("no")
    assert kept["resolution"]["newSession"] is False
    assert kept["resolution"]["intent"] == "AMAZON.NoIntent"


# ------------------------------------------------------------------ the session's controls


def test_a_day_later_a_runner_who_consented_is_asked_whether_it_is_still_there(
    console: Console,
) -> None:
    console.open()
    console.say(*CONSENTED)
    console.say("no")  # no reminder, thank you
    before = console.state["clock"]
    assert len(console.state["memory"]) == 1
    assert "tingling" in console.state["memory"][0]
    console.post("advance", {"days": 1})
    assert console.state["clock"] > before
    turn = console.say("open leg check")
    assert turn["speech"] == (
        "Yesterday you told me about tingling in your shins or calves. Is it still there?"
    )


def test_the_clock_moving_times_out_an_open_session(console: Console) -> None:
    console.open()
    console.say("open leg check")
    (ended,) = console.post("advance", {"days": 1})["turns"]
    assert ended["resolution"]["requestType"] == "SessionEndedRequest"
    assert ended["request"]["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert console.state["sessionOpen"] is False


def test_forget_clears_the_runners_memory(console: Console) -> None:
    console.open()
    console.say(*CONSENTED)
    assert console.state["memory"]
    answer = console.post("forget")
    assert "deleted" in answer["message"]
    assert console.state["memory"] == []
    turn = console.say("ask leg check how have my legs been")
    assert "tingling" not in turn["speech"]
    assert "deleted" not in console.post("forget")["message"]


def test_skill_disabled_deletes_what_is_kept_and_skill_enabled_is_answered_cleanly(
    console: Console,
) -> None:
    console.open()
    console.say(*CONSENTED)
    (enabled,) = console.post("event", {"event": "enabled"})["turns"]
    assert enabled["request"]["request"]["type"] == "AlexaSkillEvent.SkillEnabled"
    assert "session" not in enabled["request"]
    assert enabled["response"]["version"] == "1.0"
    assert enabled["speech"] == ""
    assert console.state["memory"]  # enabling changes nothing kept
    (disabled,) = console.post("event", {"event": "disabled"})["turns"]
    assert disabled["resolution"]["requestType"] == "AlexaSkillEvent.SkillDisabled"
    assert disabled["speech"] == ""
    assert console.state["memory"] == []


def test_a_new_session_ends_the_open_one(console: Console) -> None:
    console.open()
    assert console.post("new-session")["turns"] == []
    console.say("open leg check")
    (ended,) = console.post("new-session")["turns"]
    assert ended["request"]["request"]["type"] == "SessionEndedRequest"
    assert console.state["sessionOpen"] is False
    assert console.say("open leg check")["resolution"]["newSession"] is True


def test_another_device_or_market_ends_the_open_session_and_talks_from_then_on(
    console: Console,
) -> None:
    console.open("en-US", "speaker")
    console.say("open leg check")
    (ended,) = console.post("settings", {"device": "round", "locale": "en-GB"})["turns"]
    assert ended["request"]["request"]["type"] == "SessionEndedRequest"
    assert (console.state["device"], console.state["locale"]) == ("round", "en-GB")
    emergency = console.say("ask leg check i passed out during my run")
    assert emergency["request"]["request"]["locale"] == "en-GB"
    assert emergency["request"]["context"]["Viewport"]["shape"] == "ROUND"
    assert "999" in emergency["speech"]
    assert console.post("settings", {"device": "speaker"})["turns"] == []
    assert console.say("open leg check")["apl"] is None


# ------------------------------------------------------------------ reminders


def offered(console: Console) -> dict[str, Any]:
    """A check-in to the offer of a reminder, then yes: Alexa asks for the permission."""
    console.say(*CONSENTED)
    return console.say("yes")


def test_the_permission_asked_by_voice_and_accepted_sets_the_reminder(console: Console) -> None:
    console.open()
    assert console.state["permissionGranted"] is False
    asked = offered(console)
    assert asked["asksPermission"] is True
    assert console.state["askingPermission"] is True
    (answered,) = console.post("consent", {"answer": "ACCEPTED"})["turns"]
    assert answered["resolution"]["requestType"] == "Connections.Response"
    assert "I'll remind you tomorrow" in answered["speech"]
    (reminder,) = answered["reminders"]
    assert "America/New_York" in reminder["when"]
    assert console.state["permissionGranted"] is True
    assert console.state["askingPermission"] is False
    assert [r["text"] for r in console.state["reminders"]] == [reminder["text"]]


def test_the_permission_denied_sets_no_reminder(console: Console) -> None:
    console.open()
    offered(console)
    (answered,) = console.post("consent", {"answer": "DENIED"})["turns"]
    assert answered["reminders"] == []
    assert "I'll remind you" not in answered["speech"]
    assert console.state["permissionGranted"] is False
    assert console.state["reminders"] == []


def test_the_permission_granted_in_the_app_is_in_the_next_request(console: Console) -> None:
    from skill.reminders import REMINDERS_SCOPE

    console.open()
    console.post("permission", {"granted": True})
    assert console.state["permissionGranted"] is True
    turn = console.say("open leg check")
    scopes = turn["request"]["context"]["System"]["user"]["permissions"]["scopes"]
    assert scopes[REMINDERS_SCOPE]["status"] == "GRANTED"
    console.post("permission", {"granted": False})
    assert console.state["permissionGranted"] is False
    later = console.say("help")
    assert "permissions" not in later["request"]["context"]["System"]["user"]


def test_without_reminders_the_state_says_so_and_the_permission_is_refused(
    plain_app: Flask,
) -> None:
    console = Console(plain_app.test_client()).open()
    assert console.state["permissionGranted"] is None
    refused(
        console.client.post(f"{API}/sessions/{console.id}/permission", json={"granted": True}),
        400,
        "LEGCHECK_REMINDERS=on",
    )


# ------------------------------------------------------------------ conversation tests


def step_to_the_end(console: Console) -> list[dict[str, Any]]:
    steps = []
    for _ in range(100):
        answer = console.post("script/step")
        steps.append(answer["step"])
        if answer["done"]:
            return steps
    raise AssertionError("the script never ended")


@pytest.mark.parametrize("name", ["post_run_itch.yaml", "reminder.yaml", "follow_up.yaml"])
def test_a_conversation_test_stepped_to_the_end_meets_every_expectation(
    console: Console, name: str
) -> None:
    """As tests/test_replay.py runs it: post_run_itch and follow_up against a skill without
    reminders (the server offers them), reminder.yaml with its own clock and Alexa APIs."""
    console.open("en-GB", "show")
    loaded = console.post("script", {"name": name})["script"]
    script = read_script(REPO_ROOT / "tests" / "conversations" / name)
    assert loaded["name"] == name
    assert len(loaded["steps"]) == len(script.turns)
    assert console.state["locale"] == script.locale
    steps = step_to_the_end(console)
    assert [s["index"] for s in steps] == list(range(len(script.turns)))
    checked = [e for s in steps for e in s["expectations"]]
    assert checked, "the conversation expects something"
    assert all(e["met"] for e in checked), [e for e in checked if not e["met"]]
    assert all(s["met"] and s["failures"] == [] for s in steps)
    assert console.state["script"]["done"] is True
    refused(console.client.post(f"{API}/sessions/{console.id}/script/step"), 400, "all its")


def test_a_wrong_expectation_is_shown_not_met_with_what_came(console: Console) -> None:
    console.open()
    text = (
        "description: One right and one wrong expectation about the welcome.\n"
        "turns:\n"
        "  - user: open leg check\n"
        "    expect:\n"
        "      request: LaunchRequest\n"
        "      speech_contains: [How do your legs feel, the moon is made of cheese]\n"
    )
    loaded = console.post("script", {"text": text, "filename": "wrong.yaml"})["script"]
    assert loaded["steps"][0]["expect"] == [
        "request: LaunchRequest",
        "speech_contains: How do your legs feel",
        "speech_contains: the moon is made of cheese",
    ]
    answer = console.post("script/step")
    assert answer["done"] is True
    step = answer["step"]
    assert [e["met"] for e in step["expectations"]] == [True, True, False]
    wrong = step["expectations"][2]
    assert "the moon is made of cheese" in wrong["detail"]
    assert "How do your legs feel" in wrong["detail"]  # what was heard
    assert step["met"] is False
    assert step["failures"] and "wrong.yaml:$.turns[0]" in step["failures"][0]


def test_an_ask_cli_replay_file_is_loaded_and_run(console: Console) -> None:
    console.open()
    text = json.dumps(
        {
            "skillId": "amzn1.ask.skill.x",
            "locale": "en-IN",
            "type": "text",
            "userInput": ["open leg check", "help", ".quit"],
        }
    )
    loaded = console.post("script", {"text": text, "filename": "mine.json"})["script"]
    assert [s["utterance"] for s in loaded["steps"]] == ["open leg check", "help"]
    assert console.state["locale"] == "en-IN"
    steps = step_to_the_end(console)
    assert all(s["expectations"] == [] for s in steps)


def test_a_script_that_does_not_parse_is_refused_saying_where(console: Console) -> None:
    console.open()
    reply = console.client.post(
        f"{API}/sessions/{console.id}/script",
        json={"text": "description: bad\nturns:\n  - usr: hello\n", "filename": "bad.yaml"},
    )
    error = refused(reply, 400, "bad.yaml:$.turns[0]")
    assert "/tmp" not in error and "legcheck-console-" not in error
    refused(
        console.client.post(
            f"{API}/sessions/{console.id}/script", json={"text": "{", "filename": "x.json"}
        ),
        400,
        "x.json",
        "not valid JSON",
    )
    refused(
        console.client.post(
            f"{API}/sessions/{console.id}/script", json={"text": "a", "filename": "../x.yaml"}
        ),
        400,
        "filename",
    )


# ------------------------------------------------------------------ the replay file


def test_the_session_downloads_as_a_replay_file_that_reads_back(
    console: Console, tmp_path: Path
) -> None:
    console.open("en-AU", "show")
    said = ["open leg check", "my calves are twitching", "no", "stop"]
    console.say(*said)
    reply = console.client.get(f"{API}/sessions/{console.id}/replay")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    path = tmp_path / "downloaded.json"
    path.write_bytes(reply.get_data())
    replay = read_ask_replay(path)
    assert replay.locale == "en-AU"
    assert list(replay.user_input) == [*said, ".quit"]
    assert read_script(path).utterances == said


# ------------------------------------------------------------------ refusals


def test_every_malformed_request_is_refused_in_one_line_and_logged(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    console.open()
    client, base = console.client, f"{API}/sessions/{console.id}"
    caplog.set_level(logging.INFO, logger="legcheck.console")
    cases = [
        (client.post(f"{base}/say", data="{", content_type="application/json"), "malformed"),
        (client.post(f"{base}/say", data="[1]", content_type="application/json"), "object"),
        (client.post(f"{base}/say", data='{"utterance": "hi"}'), "application/json"),
        (client.post(f"{base}/say", json={}), "utterance"),
        (client.post(f"{base}/say", json={"utterance": 5}), "utterance"),
        (client.post(f"{base}/say", json={"utterance": "   "}), "utterance"),
        (client.post(f"{base}/say", json={"utterance": "a" * 501}), "500"),
        (client.post(f"{API}/sessions", json={"locale": "fr-FR"}), "fr-FR"),
        (client.post(f"{API}/sessions", json={"device": "tv"}), "tv"),
        (client.post(f"{base}/settings", json={"locale": "xx"}), "en-GB"),
        (client.post(f"{base}/settings", json={"device": 3}), "speaker"),
        (client.post(f"{base}/settings", json={}), "neither"),
        (client.post(f"{base}/event", json={"event": "installed"}), "enabled, disabled"),
        (client.post(f"{base}/consent", json={"answer": "MAYBE"}), "ACCEPTED"),
        (client.post(f"{base}/consent", json={"answer": "ACCEPTED"}), "asking"),
        (client.post(f"{base}/permission", json={"granted": "yes"}), "true or false"),
        (client.post(f"{base}/advance", json={"days": -1}), "forward"),
        (client.post(f"{base}/advance", json={"days": "1"}), "days"),
        (client.post(f"{base}/advance", json={"days": True}), "days"),
        (client.post(f"{base}/advance", json={"days": 99999}), "3650"),
        (client.post(f"{base}/script", json={}), "neither"),
        (client.post(f"{base}/script/step"), "no"),
    ]
    for reply, word in cases:
        refused(reply, 400, word)
    refused(client.post(f"{API}/sessions/nope/say", json={"utterance": "hi"}), 404, "nope")
    refused(client.get(f"{API}/sessions/nope/replay"), 404, "start a new one")
    refused(client.post(f"{base}/script", json={"name": "nothing.yaml"}), 404, "nothing.yaml")
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == len(cases) + 3
    assert all(r.levelno == logging.WARNING for r in refusals)


def test_a_failure_inside_is_logged_and_answered_500_without_a_traceback(
    console: Console, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    console.open()

    def broken(self: ConsoleSession, utterance: str) -> list[Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ConsoleSession, "say", broken)
    reply = console.client.post(f"{API}/sessions/{console.id}/say", json={"utterance": "hi"})
    assert reply.status_code == 500
    assert reply.get_json() == {"error": INTERNAL_ERROR}
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "a bug" in logged.getMessage() and logged.exc_info is not None


def test_the_console_answers_loopback_clients_asking_for_a_loopback_host_only(
    console: Console,
) -> None:
    console.open()
    reply = console.client.get(f"{API}/options", environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    refused(reply, 403, "loopback")
    refused(console.client.get(f"{API}/options", headers={"X-Forwarded-For": "x"}), 403, "proxy")
    for host in ("evil.example", "evil.example:5000", "10.0.0.1"):
        refused(console.client.get(f"{API}/options", headers={"Host": host}), 403, host[:12])
    for host in ("localhost", "127.0.0.1:5000", "[::1]:5000", "localhost:8080"):
        assert console.client.get(f"{API}/options", headers={"Host": host}).status_code == 200


# ------------------------------------------------------------------ sessions kept


def test_sessions_are_bounded_the_oldest_used_closed_first(console_app: Flask) -> None:
    backend: ConsoleBackend = console_app.extensions[BACKEND_KEY]
    backend.max_sessions = 2
    client = console_app.test_client()
    first, second = Console(client).open(), Console(client).open()
    first.say("open leg check")  # used since: the second is now the oldest
    third = Console(client).open()
    assert len(backend) == 2
    refused(client.post(f"{API}/sessions/{second.id}/new-session"), 404, "start a new one")
    first.post("new-session")
    third.post("new-session")
    assert len({first.id, second.id, third.id}) == 3
    assert all(len(c.id) >= 32 for c in (first, second, third))


def test_one_session_takes_requests_from_many_threads_in_turn(console_app: Flask) -> None:
    console = Console(console_app.test_client()).open()
    problems: list[str] = []

    def talk() -> None:
        reply = console_app.test_client().post(
            f"{API}/sessions/{console.id}/say", json={"utterance": "help"}
        )
        if reply.status_code != 200:
            problems.append(reply.get_data(as_text=True))

    threads = [threading.Thread(target=talk) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    state = console_app.test_client().get(f"{API}/sessions/{console.id}").get_json()["state"]
    assert state["said"] == ["help"] * 6


def test_a_skill_object_of_its_own_is_built_for_each_app(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    one, two = dev_app(tmp_path / "a", reminders=True), dev_app(tmp_path / "b", reminders=False)
    assert one.extensions[BACKEND_KEY].reminders is True
    assert two.extensions[BACKEND_KEY].reminders is False
    assert one.config["LEGCHECK_SKILL"] is not two.config["LEGCHECK_SKILL"]
    given = build_skill(None)
    app = development_app(config={"LEGCHECK_SKILL": given})
    assert app.config["LEGCHECK_SKILL"] is given
    assert app.extensions[BACKEND_KEY].store is None


# ------------------------------------------------------------------ legcheck serve


@pytest.mark.slow
def test_legcheck_serve_no_verify_prints_the_consoles_address_and_serves_it(
    tmp_path: Path,
) -> None:
    import urllib.request

    env = {**os.environ, "LEGCHECK_DB": "off", "HOME": str(tmp_path)}
    with AnyPortServer(env) as server:
        found = re.match(
            r"Leg Check is listening on (http://127\.0\.0\.1:\d+/) .*or open "
            r"(http://127\.0\.0\.1:\d+/console) in a browser",
            server.line,
        )
        assert found, server.line
        assert found[2] == found[1] + "console"
        with urllib.request.urlopen(found[2] + "/api/options", timeout=10) as reply:
            options = json.loads(reply.read())
        assert options["reminders"] is False and options["store"] is None
    assert "Traceback" not in server.errors


def test_expectations_are_shown_in_the_markets_words(console: Console) -> None:
    """A conversation file says "{number}"; the page shows the number the runner hears."""
    console.open("en-GB", "speaker")
    console.post("script", {"name": "collapse.yaml"})
    console.post("settings", {"locale": "en-GB"})
    texts = [e["text"] for s in step_to_the_end(console) for e in s["expectations"]]
    assert any("Call 999 now" in t for t in texts), texts
    assert not [t for t in texts if "{" in t]
