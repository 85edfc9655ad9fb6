"""Screens on Echo Show: the APL documents, linted by Amazon's own APL linter, and
the screens the skill sends exactly when the device has one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from skill.app import build_skill
from skill.knowledge import DangerSign, load_knowledge
from skill.screen import APL_DIR, RENDER_DIRECTIVE, datasource, screen_lines
from skill.strings import strings_for
from skill.tools.envelopes import Session, SlotValue
from skill.triage import assess
from tests.support.alexa_response import assert_valid_response
from tests.support.markets import locale_models
from tests.support.runner import invoke

HERE = Path(__file__).resolve().parent / "apl"
INSTALL = "npm ci --prefix tests/apl"
KB = load_knowledge()
MARKETS = locale_models()  # every locale with a model: a new one is tested without edits
DOCUMENTS = sorted(APL_DIR.glob("*.json"))


def lint(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; install Node.js 18 or newer, then run: " + INSTALL)
    if not (HERE / "node_modules" / "apl-suggester").is_dir():
        pytest.fail(f"apl-suggester is not installed; run: {INSTALL}")
    done = subprocess.run(
        [node, str(HERE / "validate.js"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return found


@pytest.mark.slow
def test_every_document_passes_amazons_apl_linter_without_a_warning() -> None:
    assert DOCUMENTS
    assert lint(DOCUMENTS) == {str(p): [] for p in DOCUMENTS}


@pytest.mark.slow
def test_the_linter_does_find_problems(tmp_path: Path) -> None:
    broken = json.loads(DOCUMENTS[0].read_text(encoding="utf-8"))
    broken["mainTemplate"]["items"][0]["colour"] = "#FFFFFF"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    assert lint([path])[str(path)], "apl-suggester reported nothing for a misspelt property"


def test_documents_hold_no_words_of_their_own() -> None:
    """Every text a document shows is bound to its data source, so it is in the locale."""
    for path in DOCUMENTS:

        def texts(node: Any) -> list[str]:
            if isinstance(node, dict):
                found = [node["text"]] if isinstance(node.get("text"), str) else []
                return found + [t for v in node.values() for t in texts(v)]
            if isinstance(node, list):
                return [t for v in node for t in texts(v)]
            return []

        for text in texts(json.loads(path.read_text(encoding="utf-8"))):
            assert text.startswith("${") and text.endswith("}"), (path.name, text)


CHECK_INS = {
    "neuroma": [
        SlotValue("Sensation", "burning", "burning", slot_type="SENSATION"),
        SlotValue("BodyPart", "between my toes", "between_toes", slot_type="BODY_PART"),
        SlotValue("Timing", "gone now", "fades_after_cooldown", slot_type="TIMING"),
    ],
    "chest_or_breathing": [
        SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")
    ],
}


def talk(locale: str, screen: bool, slots: list[SlotValue]) -> dict[str, Any]:
    """A one-shot check-in, answering no to every question, until the advice."""
    skill = build_skill(None)
    session = Session(locale=locale, screen=screen)
    response = invoke(skill, session.intent("ReportSymptomsIntent", slots))
    for _ in range(8):
        if response["response"].get("shouldEndSession", True):
            break
        session.absorb(response)
        response = invoke(skill, session.intent("AMAZON.NoIntent"))
    return response


def render(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        d for d in response["response"].get("directives", []) if d.get("type") == RENDER_DIRECTIVE
    ]


@pytest.mark.parametrize("locale", MARKETS)
@pytest.mark.parametrize("case", sorted(CHECK_INS))
def test_a_screen_is_shown_exactly_when_the_device_has_one(locale: str, case: str) -> None:
    with_screen = talk(locale, True, CHECK_INS[case])
    without = talk(locale, False, CHECK_INS[case])
    assert render(without) == []
    directives = render(with_screen)
    assert len(directives) == 1
    assert_valid_response(with_screen)
    strings = strings_for(locale)
    lines = screen_lines(directives[0]["datasources"])
    assert lines and all(isinstance(line, str) and line.strip() for line in lines)
    if case == "chest_or_breathing":
        assert lines[0] == strings.emergency_number  # shown large, first
        assert directives[0]["document"] == json.loads(
            (APL_DIR / "emergency.json").read_text(encoding="utf-8")
        )
    else:
        assert strings.cause("neuroma")["name"] in lines[0]
        assert f"1. {strings.advice('ice')}" in lines


def test_a_question_shows_no_screen() -> None:
    skill = build_skill(None)
    session = Session(screen=True)
    response = invoke(
        skill,
        session.intent(
            "ReportSymptomsIntent",
            [SlotValue("Sensation", "tingling", "tingling", slot_type="SENSATION")],
        ),
    )
    assert response["response"]["shouldEndSession"] is False
    assert render(response) == []


@pytest.mark.parametrize("sign", KB.danger_signs, ids=lambda s: s.id)
def test_a_danger_signs_screen_shows_the_emergency_number_only_when_it_is_the_one_to_call(
    sign: DangerSign,
) -> None:
    """A runner glancing at the screen must not read "999" in large type when the advice is
    to be seen today, nor miss it when the advice is to call now."""
    strings = strings_for("en-GB")
    result = assess({sign.any_features[0]: True}, knowledge=KB)
    assert sign.id in result.danger_signs
    name, data = datasource(strings, KB, result, "", [strings.advice(a) for a in result.advice])
    assert name == "emergency"
    lines = screen_lines(data)
    if KB.levels[result.level] == max(KB.levels.values()):
        assert lines[0] == strings.emergency_number == "999"
        assert strings.prompt("screen_seen_today") not in lines
    else:
        assert lines[0] == strings.prompt("screen_seen_today")
        assert "999" not in lines
        assert lines[1] == strings.advice(result.advice[0])  # "get seen today: ... NHS 111"
