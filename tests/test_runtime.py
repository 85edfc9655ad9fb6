"""The runtime stands apart from the tooling: what runs on Alexa's behalf imports none of it.

The check-in runs in a fresh process (this one has imported everything already), with only
the runtime's modules imported by name; the test then reads that process's ``sys.modules``.
The runtime's own code is read too: each runtime module imports only runtime modules, the
standard library and the runtime's dependencies.
"""

from __future__ import annotations

import ast
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from skill.app import build_skill
from skill.tools.lambda_zip import (
    NEVER_IMPORTED,
    RUNTIME_IMPORTS,
    RUNTIME_MODULES,
    requirement_name,
)
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator import checkin
from tests.support.fresh import environment, run_python
from tests.support.stores import sqlite_store

BRIEF = (
    "flask",
    "werkzeug",
    "jsonschema",
    "yaml",
    "cryptography",
    "skill.tools.simulator",
    "skill.tools.validate",
    "skill.tools.package",
    "skill.tools.cli",
    "skill.web",
    "skill.web.verifier",
)
"""What a check-in must never import, as the issue names it (NEVER_IMPORTED has more)."""
LAZY_TOOLING = {("skill.knowledge", "jsonschema")}
"""A runtime module's function that only the tooling calls may import this, when called
(``check_knowledge``: ``legcheck validate`` and the packager check the data; the runtime
reads it as shipped)."""

CHECK_IN_SCRIPT = """
import json, sys
for name in json.loads(sys.argv[1]):
    __import__(name)
from skill.app import handle_event
answers = []
for conversation in json.loads(sys.argv[2]):
    answers.append([handle_event(envelope) for envelope in conversation])
print(json.dumps({"modules": sorted(sys.modules), "answers": answers}))
"""


@pytest.fixture(scope="module")
def conversations(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict[str, Any]]]:
    store = sqlite_store(tmp_path_factory.mktemp("recorded") / "checkins.sqlite3")
    try:
        skill_obj = build_skill(store)
        whole = checkin.record(skill_obj)
        one_shot = checkin.on_a_screen(checkin.record(skill_obj, checkin.ONE_SHOT))
        return [whole, one_shot, [checkin.skill_disabled(whole)]]
    finally:
        store.close()


@pytest.fixture(scope="module")
def ran(
    conversations: list[list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A fresh process importing the runtime modules and answering the check-ins."""
    env = environment(
        LEGCHECK_DB=str(tmp_path_factory.mktemp("runtime") / "checkins.sqlite3"),
        LEGCHECK_USER_KEY_SECRET="a-secret-for-the-runtime-test-0123",
    )
    out: dict[str, Any] = run_python(
        CHECK_IN_SCRIPT,
        json.dumps(RUNTIME_MODULES),
        json.dumps(conversations),
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
    )
    return out


def imported(modules: list[str], name: str) -> list[str]:
    return [m for m in modules if m == name or m.startswith(name + ".")]


def test_a_whole_check_in_was_answered(ran: dict[str, Any]) -> None:
    whole, one_shot, disabled = ran["answers"]
    said = [a["response"]["outputSpeech"]["ssml"] for a in whole]
    assert "How do your legs feel after your run?" in said[0]
    assert "remember your check-ins for 30 days" in said[-2]  # the advice, then the question
    assert whole[-1]["response"]["shouldEndSession"] is True
    assert "see a doctor" in one_shot[0]["response"]["outputSpeech"]["ssml"]
    assert disabled[0]["response"] == {}  # the skill disabled: what it kept is deleted


@pytest.mark.parametrize("name", sorted(set(BRIEF) | set(NEVER_IMPORTED)))
def test_answering_a_check_in_imports_no_tooling(ran: dict[str, Any], name: str) -> None:
    assert imported(ran["modules"], name) == []


def test_the_runtime_modules_are_all_it_imports_of_the_skill_package(ran: dict[str, Any]) -> None:
    ours = [m for m in ran["modules"] if m == "skill" or m.startswith("skill.")]
    assert sorted(ours) == sorted(RUNTIME_MODULES)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Each module a file imports, and whether at its top level (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for statement in tree.body:  # imports under `if TYPE_CHECKING:` are for mypy only
        if isinstance(statement, ast.If) and getattr(statement.test, "id", "") == "TYPE_CHECKING":
            top |= {id(n) for n in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, id(node) in top))
    return found


@pytest.mark.parametrize("module", RUNTIME_MODULES)
def test_runtime_code_imports_only_the_runtime(module: str) -> None:
    where = REPO_ROOT.joinpath(*module.split("."))
    path = where / "__init__.py" if where.is_dir() else where.with_suffix(".py")
    for name, at_top in _imports(path):
        top = name.split(".")[0]
        if top == "skill":
            assert name in RUNTIME_MODULES, f"{module} imports {name}"
        elif top not in sys.stdlib_module_names and top != "__future__":
            lazy = (module, top) in LAZY_TOOLING and not at_top
            assert top in RUNTIME_IMPORTS or lazy, (
                f"{module} imports {name}, which is not a runtime dependency"
            )


def test_pyproject_splits_the_runtime_from_the_web_extra_and_the_tooling() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {requirement_name(r) for r in project["dependencies"]}
    assert names == {"ask-sdk-core", "snowballstemmer", "word2number"}
    extras = {
        k: {requirement_name(r) for r in v} for k, v in project["optional-dependencies"].items()
    }
    assert extras["web"] == {"flask", "gunicorn", "cryptography", "certifi"}
    assert {"jsonschema", "pyyaml"} <= extras["tools"]
    assert {"boto3", "moto", "cfn-lint", "hypothesis", "pytest"} <= extras["dev"]
    setup = (REPO_ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    assert '-e ".[web,tools,dev]"' in setup


@pytest.mark.parametrize(
    "command,missing,extra",
    [
        (["serve", "--no-verify"], "flask", "web"),
        (["validate"], "jsonschema", "tools"),
    ],
)
def test_a_command_without_its_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    missing: str,
    extra: str,
) -> None:
    from skill.tools.cli import main

    for name in [
        m
        for m in sys.modules
        if m in ("skill.web", "skill.tools.validate") or m == missing or m.startswith(missing + ".")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # importing it now fails
    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"needs {missing}, from the '{extra}' extra: pip install 'legcheck[{extra}]'" in err


COLD_START = """
import json, sys
import lambda_function
out = lambda_function.lambda_handler(json.loads(sys.argv[1]), None)
assert "How do your legs feel" in out["response"]["outputSpeech"]["ssml"], out
print(json.dumps(sorted(sys.modules)))
"""
LATER = (
    "xml.sax",
    "urllib.request",
    "http.client",
    "email",
    "ssl",
    "sqlite3",
    "hashlib",
    "snowballstemmer",
    "word2number",
    "ask_sdk_model.interfaces.alexa.presentation.apl",
    "boto3",
    "jsonschema",
)
"""What a cold start (the entry imported, a LaunchRequest answered, no store) leaves for
later or never needs: each would cost milliseconds at every cold start."""


@pytest.mark.parametrize("name", LATER)
def test_a_cold_start_imports_only_what_a_launch_needs(
    cold_start_modules: list[str], name: str
) -> None:
    assert imported(cold_start_modules, name) == []


@pytest.fixture(scope="module")
def cold_start_modules() -> list[str]:
    from skill.tools.envelopes import Session

    modules: list[str] = run_python(
        COLD_START,
        json.dumps(Session().launch()),
        cwd=REPO_ROOT / "lambda",
        env=environment(LEGCHECK_DB="off"),
    )
    return modules


def test_an_installed_package_has_every_data_file() -> None:
    """`pip install .` (not editable) installs only what package-data names."""
    from fnmatch import fnmatch

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["skill"]
    data = [
        p.relative_to(REPO_ROOT / "skill").as_posix()
        for p in (REPO_ROOT / "skill").rglob("*.json")
        if "node_modules" not in p.parts  # what npm installed there (scripts/setup), not ours
    ]
    assert data
    missing = [
        f
        for f in data
        if not any(fnmatch(f, pat) and f.count("/") == pat.count("/") for pat in patterns)
    ]
    assert missing == []
