"""The clinical hazard log (``docs/safety/hazard-log.yaml``), kept in the manner of DCB0129.

It must match its schema; every control must name a rule, lexicon entry or code path that
exists, and every verification a test, corpus or conversation file that exists; every danger
sign, complaint, escalation and history rule of the knowledge base, and every advice step
with a contraindication, must be some hazard's control; every rating must be the matrix's,
and no residual rating may be above its initial one; the table of docs/safety/safety-case.md
must agree with the log, and hazard ids cited anywhere must be in it. The per-hazard checks
are parametrized over the log and the coverage checks over the knowledge base, so a new
hazard or a new rule is checked without a new test. File reads and imports only: no skill
calls.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from skill.knowledge import KNOWLEDGE_PATH
from skill.tools.paths import REPO_ROOT
from tests.support.schema_fields import schema_properties

SAFETY_DOCS = REPO_ROOT / "docs" / "safety"
LOG_PATH = SAFETY_DOCS / "hazard-log.yaml"
SCHEMA_PATH = SAFETY_DOCS / "hazard-log.schema.json"
CASE_PATH = SAFETY_DOCS / "safety-case.md"
LEXICON_PATH = REPO_ROOT / "skill" / "data" / "lexicon" / "en.json"

RULE_SECTIONS = ("danger_signs", "complaints", "escalations", "history_rules", "advice")
"""The sections of knowledge.json whose ids a control's ``rule`` may name."""
COVERED_SECTIONS = ("danger_signs", "complaints", "escalations", "history_rules")
"""Every rule of these sections must be some hazard's control."""
HAZARD_ID = re.compile(r"\bHAZ-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
ACCEPTABLE = 2
"""The highest rating at which a hazard may be closed (1 and 2 are acceptable)."""


def _read_log() -> tuple[dict[str, Any], str | None]:
    try:
        data = yaml.safe_load(LOG_PATH.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return {}, f"{LOG_PATH.relative_to(REPO_ROOT)}: {exc}"
    if not isinstance(data, dict):
        return (
            {},
            f"{LOG_PATH.relative_to(REPO_ROOT)}: expected a mapping, got {type(data).__name__}",
        )
    return data, None


LOG, LOG_ERROR = _read_log()
HAZARDS: list[dict[str, Any]] = [h for h in LOG.get("hazards") or [] if isinstance(h, dict)]
KNOWLEDGE: dict[str, Any] = json.loads(KNOWLEDGE_PATH.read_text(encoding="utf-8"))
LEXICON: dict[str, Any] = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))


def _hazard_id(hazard: dict[str, Any]) -> str:
    return str(hazard.get("id", "?"))


def _ids(section: str) -> list[str]:
    return [str(entry["id"]) for entry in KNOWLEDGE.get(section, []) if "id" in entry]


RULE_IDS = {rid for section in RULE_SECTIONS for rid in _ids(section)}
LEXICON_IDS = (
    {str(s["id"]) for s in LEXICON.get("senses", [])}
    | set(LEXICON.get("requests", {}))
    | set(LEXICON.get("features", {}))
)


def _controls(key: str) -> set[str]:
    """Every value of ``key`` (rule, lexicon, code) named by a control of any hazard."""
    return {
        str(c[key])
        for h in HAZARDS
        for c in h.get("controls") or []
        if isinstance(c, dict) and key in c
    }


def _place(path: Iterable[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


# ------------------------------------------------------------------ the schema and the file


def test_the_log_reads_as_yaml() -> None:
    assert LOG_ERROR is None, LOG_ERROR


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_field_of_the_schema_has_a_plain_english_description() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    bare = [
        path
        for path, sub in schema_properties(schema)
        if not (isinstance(sub, dict) and str(sub.get("description", "")).strip())
    ]
    bare += [
        f"$.$defs.{name}"
        for name, sub in schema.get("$defs", {}).items()
        if not str(sub.get("description", "")).strip()
    ]
    assert bare == [], "fields without a description:\n" + "\n".join(bare)


def test_the_log_matches_its_schema() -> None:
    """Every problem, each with its place, not just the first."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = sorted(
        Draft202012Validator(schema).iter_errors(LOG),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    problems = [f"{_place(e.absolute_path)}: {e.message}" for e in errors]
    assert problems == [], "\n".join(problems)


def test_hazard_ids_are_unique() -> None:
    ids = [_hazard_id(h) for h in HAZARDS]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_hazard_id_cited_in_the_repository_is_in_the_log() -> None:
    """Ids are stable: a test, module or document that cites one keeps pointing at it."""
    known = {_hazard_id(h) for h in HAZARDS}
    files = [
        *REPO_ROOT.glob("tests/**/*.py"),
        *REPO_ROOT.glob("skill/**/*.py"),
        REPO_ROOT / "README.md",
        *SAFETY_DOCS.glob("*.md"),
    ]
    cited = {
        f"{path.relative_to(REPO_ROOT)}: {hid}"
        for path in files
        if path.is_file() and "node_modules" not in path.parts
        for hid in HAZARD_ID.findall(path.read_text(encoding="utf-8"))
        if hid not in known
    }
    assert sorted(cited) == []


# ------------------------------------------------------------------ the risk scale


def _matrix() -> dict[int, list[int]]:
    scale = LOG.get("risk_scale") or {}
    return {
        int(row["likelihood"]): list(row["by_severity"])
        for row in scale.get("matrix", [])
        if isinstance(row, dict) and "likelihood" in row and "by_severity" in row
    }


def test_the_risk_scale_has_five_levels_each_and_a_whole_matrix() -> None:
    scale = LOG.get("risk_scale") or {}
    for part in ("severity", "likelihood", "ratings"):
        assert sorted(level.get("level") for level in scale.get(part, [])) == [1, 2, 3, 4, 5], part
    matrix = _matrix()
    assert sorted(matrix) == [1, 2, 3, 4, 5]
    for likelihood, row in matrix.items():
        assert len(row) == 5, likelihood
        assert row == sorted(row), f"likelihood {likelihood}: a rating falls as severity rises"
        if likelihood > 1:
            below = matrix[likelihood - 1]
            assert all(a >= b for a, b in zip(row, below, strict=True)), (
                f"likelihood {likelihood}: a rating is below the row beneath it"
            )


# ------------------------------------------------------------------ each hazard


@cache
def _test_source(path: str) -> str | None:
    file = REPO_ROOT / path
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _test_exists(node_id: str) -> str | None:
    """Why the pytest node id names no test, or None when it does."""
    path, _, name = node_id.partition("::")
    source = _test_source(path)
    if source is None:
        return f"{node_id}: no file {path}"
    if not re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\s*\(", source, re.MULTILINE):
        return f"{node_id}: {path} defines no {name}"
    return None


def _code_exists(dotted: str) -> str | None:
    """Why the dotted path names nothing importable, or None when it does."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # not a module: try a shorter prefix
            raise
        for attr in parts[split:]:
            if not hasattr(obj, attr):
                return f"{dotted}: {'.'.join(parts[:split])} has no {attr}"
            obj = getattr(obj, attr)
        return None
    return f"{dotted}: no such module"


def _missing(hazard: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for control in hazard.get("controls") or []:
        if not isinstance(control, dict):
            continue
        if "rule" in control and control["rule"] not in RULE_IDS:
            problems.append(
                f"rule {control['rule']}: not an id of {', '.join(RULE_SECTIONS)} "
                f"in {KNOWLEDGE_PATH.relative_to(REPO_ROOT)}"
            )
        if "lexicon" in control and control["lexicon"] not in LEXICON_IDS:
            problems.append(
                f"lexicon {control['lexicon']}: not a senses id, a requests list "
                f"or a feature of {LEXICON_PATH.relative_to(REPO_ROOT)}"
            )
        if "code" in control and (why := _code_exists(str(control["code"]))):
            problems.append(f"code {why}")
    for item in hazard.get("verification") or []:
        if not isinstance(item, dict):
            continue
        if "test" in item and (why := _test_exists(str(item["test"]))):
            problems.append(f"test {why}")
        for key in ("corpus", "conversation"):
            if key in item and not (REPO_ROOT / str(item[key])).is_file():
                problems.append(f"{key} {item[key]}: no such file")
    known = {_hazard_id(h) for h in HAZARDS}
    problems += [
        f"related hazard {other}: not in the log"
        for other in hazard.get("related_hazards") or []
        if other not in known
    ]
    return problems


@pytest.mark.parametrize("hazard", HAZARDS, ids=_hazard_id)
def test_every_control_and_verification_exists(hazard: dict[str, Any]) -> None:
    """Each rule and lexicon id in the data files, each code path importable, each test
    defined in its file, each corpus and conversation file present."""
    assert _missing(hazard) == []


@pytest.mark.parametrize("hazard", HAZARDS, ids=_hazard_id)
def test_each_rating_is_the_matrix_rating(hazard: dict[str, Any]) -> None:
    matrix = _matrix()
    for key in ("initial_risk", "residual_risk"):
        risk = hazard.get(key) or {}
        severity, likelihood = risk.get("severity"), risk.get("likelihood")
        assert isinstance(severity, int) and severity in range(1, 6), (key, risk)
        assert isinstance(likelihood, int) and likelihood in matrix, (key, risk)
        expected = matrix[likelihood][severity - 1]
        assert risk.get("rating") == expected, (
            f"{key}: severity {severity} at likelihood {likelihood} is rated {expected} by "
            f"the matrix, not {risk.get('rating')}"
        )


@pytest.mark.parametrize("hazard", HAZARDS, ids=_hazard_id)
def test_the_residual_risk_is_never_above_the_initial_risk(hazard: dict[str, Any]) -> None:
    initial, residual = hazard.get("initial_risk") or {}, hazard.get("residual_risk") or {}
    assert residual.get("rating", 0) <= initial.get("rating", 0), (initial, residual)


@pytest.mark.parametrize("hazard", HAZARDS, ids=_hazard_id)
def test_a_hazard_is_closed_only_when_acceptable_and_tested(hazard: dict[str, Any]) -> None:
    """Closed means an acceptable residual rating and at least one test; anything else is
    open, and the schema makes an open hazard say why in its notes."""
    if hazard.get("status") != "closed":
        return
    assert (hazard.get("residual_risk") or {}).get("rating", 99) <= ACCEPTABLE
    assert any("test" in v for v in hazard.get("verification") or [] if isinstance(v, dict))


# ------------------------------------------------------------------ coverage of the knowledge

COVERED = [(section, rid) for section in COVERED_SECTIONS for rid in _ids(section)]
CONTRAINDICATED = [str(a["id"]) for a in KNOWLEDGE.get("advice", []) if a.get("contraindicated_by")]


@pytest.mark.parametrize("rule", [r for s, r in COVERED if s == "danger_signs"])
def test_every_danger_sign_has_a_hazard(rule: str) -> None:
    """A new danger rule needs a hazard entry naming it as a control's rule."""
    assert rule in _controls("rule"), f"no hazard names danger sign {rule} as a control"


@pytest.mark.parametrize("rule", [r for s, r in COVERED if s == "complaints"])
def test_every_complaint_has_a_hazard(rule: str) -> None:
    assert rule in _controls("rule"), f"no hazard names complaint {rule} as a control"


@pytest.mark.parametrize("rule", [r for s, r in COVERED if s in ("escalations", "history_rules")])
def test_every_escalation_and_history_rule_has_a_hazard(rule: str) -> None:
    assert rule in _controls("rule"), f"no hazard names rule {rule} as a control"


@pytest.mark.parametrize("advice", CONTRAINDICATED)
def test_every_advice_that_could_harm_has_a_hazard(advice: str) -> None:
    """An advice step with a contraindication is self-care that could harm someone."""
    assert advice in _controls("rule"), f"no hazard names advice {advice} as a control"


# ------------------------------------------------------------------ the safety case


def _case_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    if not CASE_PATH.is_file():
        return rows
    for line in CASE_PATH.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and HAZARD_ID.fullmatch(cells[0]):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("hazard", HAZARDS, ids=_hazard_id)
def test_the_safety_case_table_agrees_with_the_log(hazard: dict[str, Any]) -> None:
    """The table in docs/safety/safety-case.md is written by hand: one row per hazard, with
    its initial and residual risk as severity/likelihood/rating and its status."""
    row = _case_rows().get(_hazard_id(hazard))
    assert row is not None, f"{_hazard_id(hazard)}: no row in {CASE_PATH.relative_to(REPO_ROOT)}"

    def sl_r(risk: dict[str, Any]) -> str:
        return f"{risk.get('severity')}/{risk.get('likelihood')}/{risk.get('rating')}"

    assert row[2:5] == [
        sl_r(hazard.get("initial_risk") or {}),
        sl_r(hazard.get("residual_risk") or {}),
        hazard.get("status"),
    ], row


def test_the_safety_case_lists_no_hazard_the_log_lacks() -> None:
    known = {_hazard_id(h) for h in HAZARDS}
    assert sorted(set(_case_rows()) - known) == []
