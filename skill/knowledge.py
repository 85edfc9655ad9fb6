"""Load and check the knowledge base (``skill/data/knowledge.json``).

:func:`check_knowledge` checks the file against its JSON Schema and for
references between its parts, and lists every problem it finds, each with its
place in the file, instead of stopping at the first. It runs in ``legcheck
validate``, CI and ``legcheck package``, not when the skill starts: the runtime
reads the data it was shipped with, already checked, without jsonschema.
"""

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.errors import DataError

# The knowledge's records are NamedTuples, not frozen dataclasses: as immutable, and several
# times cheaper to define (a frozen dataclass compiles six methods when its module is imported,
# 0.6 ms each at every cold start). This module's annotations are evaluated (no ``from
# __future__ import annotations``), so typing.NamedTuple need not compile each as a string.

DATA_DIR = Path(__file__).parent / "data"
KNOWLEDGE_PATH = DATA_DIR / "knowledge.json"
KNOWLEDGE_SCHEMA_PATH = DATA_DIR / "knowledge.schema.json"


class Feature(NamedTuple):
    id: str
    category: str
    title: str
    question: bool
    implies: tuple[str, ...]
    excludes: tuple[str, ...] = ()
    answered_by: tuple[tuple[str, ...], ...] = ()


class Evidence(NamedTuple):
    feature: str
    present: float
    absent: float


class Cause(NamedTuple):
    id: str
    title: str
    source: dict[str, Any]
    prior: float
    core: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    advice: tuple[str, ...]
    level: str
    key_question: str | None


NO_CAUSE = "unclear"
"""The cause kept with a check-in whose advice named none (see
:func:`skill.history.cause_to_keep`), so no cause, danger sign or complaint may take it as
its id."""


class Escalation(NamedTuple):
    id: str
    title: str
    any_features: tuple[str, ...]
    raise_from: tuple[str, ...] | None
    raise_to: str
    advice: tuple[str, ...]


class HistoryRule(NamedTuple):
    id: str
    title: str
    window_days: float
    min_days_ago: float
    min_matches: int
    raise_to: str
    advice: tuple[str, ...]


class DangerSign(NamedTuple):
    id: str
    title: str
    any_features: tuple[str, ...]
    screen_when: tuple[tuple[str, ...], ...]
    screen_question: str | None
    level: str
    advice: tuple[str, ...]
    source: dict[str, Any]
    yields_to: tuple[str, ...] = ()
    """Danger signs that say the same more precisely: when one of them is present too, this
    one is not spoken."""


class Complaint(NamedTuple):
    """A common post-run complaint the article does not cover (a blister, a stitch)."""

    id: str
    title: str
    any_features: tuple[str, ...]
    unless_features: tuple[str, ...]
    advice: tuple[str, ...]
    level: str
    source: dict[str, Any]


class Group(NamedTuple):
    """At least ``min`` of ``any`` present."""

    any: tuple[str, ...]
    min: int = 1


class Combination(NamedTuple):
    """Features that together mean another one (a swelling face is the allergic sign)."""

    id: str
    feature: str
    groups: tuple[Group, ...]
    scope: str
    members: frozenset[str] = frozenset()
    """Every feature of its groups: words naming none of them can make or deny it."""

    def holds(self, present: frozenset[str] | set[str]) -> bool:
        for group in self.groups:  # noqa: SIM110 (a loop: no generator per call, it is hot)
            if sum(map(present.__contains__, group.any)) < group.min:
                return False
        return True


class Policy(NamedTuple):
    max_questions: int
    max_turns: int
    guided_questions: tuple[str, ...]
    min_top_score: float
    min_margin: float
    history_window_days: int
    confirm_before_advice: tuple[str, ...]
    general_advice: tuple[str, ...]


class Knowledge(NamedTuple):
    features: dict[str, Feature]
    causes: tuple[Cause, ...]
    escalations: tuple[Escalation, ...]
    history_rules: tuple[HistoryRule, ...]
    danger_signs: tuple[DangerSign, ...]
    complaints: tuple[Complaint, ...]
    combinations: tuple[Combination, ...]
    advice: dict[str, dict[str, Any]]
    levels: dict[str, int]
    policy: Policy
    article: dict[str, Any]
    # indexes over the fields above, built once by build_knowledge: the engine runs on
    # every turn, and these spare it a scan of every cause's evidence each time
    by_cause: dict[str, Cause] = {}
    weights: dict[str, dict[str, tuple[int, float, float]]] = {}
    """Cause id to feature to (place in the cause's evidence, weight present, absent)."""
    speaks_for: dict[str, frozenset[str]] = {}
    """Cause id to the features whose presence speaks for it (a positive weight)."""
    by_category: dict[str, frozenset[str]] = {}
    questions: tuple[Feature, ...] = ()
    """The features with a question of their own that is not a danger screen."""
    answerable: tuple[Feature, ...] = ()
    """The features with a question that other features can answer."""

    def cause(self, cause_id: str) -> Cause:
        return self.by_cause[cause_id]

    def level_rank(self, level: str) -> int:
        return self.levels[level]

    def features_in(self, category: str) -> frozenset[str]:
        return self.by_category.get(category, frozenset())


def _place(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def load_schema() -> dict[str, Any]:
    with KNOWLEDGE_SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def check_knowledge(data: Any, file: str = "skill/data/knowledge.json") -> list[str]:
    """Return every problem in the knowledge data, each as ``file:place: message``."""
    from jsonschema import Draft202012Validator  # tooling only: never at the skill's start

    validator = Draft202012Validator(load_schema())
    problems = [
        f"{file}:{_place(err.absolute_path)}: {err.message}"
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if problems:
        return problems  # the references below assume the shape is right

    def where(*path: Any) -> str:
        return f"{file}:{_place(path)}"

    sections = {s["id"] for s in data["article"]["sections"]}
    levels = {lv["id"] for lv in data["triage_levels"]}
    features = {f["id"]: f for f in data["features"]}
    advice = {a["id"] for a in data["advice"]}
    dangers = {d["id"] for d in data["danger_signs"]}

    for key in (
        "triage_levels",
        "features",
        "causes",
        "escalations",
        "history_rules",
        "danger_signs",
        "complaints",
        "advice",
    ):
        seen: set[str] = set()
        for i, item in enumerate(data[key]):
            if item["id"] in seen:
                problems.append(f"{where(key, i, 'id')}: duplicate id {item['id']!r}")
            seen.add(item["id"])

    def check_source(src: dict[str, Any], *path: Any) -> None:
        sec = src.get("article_section")
        if sec is not None and sec not in sections:
            problems.append(
                f"{where(*path, 'article_section')}: expected one of {sorted(sections)}, "
                f"got {sec!r}"
            )

    def check_features(ids: Iterable[str], *path: Any) -> None:
        for j, fid in enumerate(ids):
            if fid not in features:
                problems.append(f"{where(*path, j)}: unknown feature {fid!r}")

    def check_advice(ids: Iterable[str], *path: Any) -> None:
        for j, aid in enumerate(ids):
            if aid not in advice:
                problems.append(f"{where(*path, j)}: unknown advice {aid!r}")

    def check_level(level: str, *path: Any) -> None:
        if level not in levels:
            problems.append(
                f"{where(*path)}: expected a triage level of {sorted(levels)}, got {level!r}"
            )

    for i, feat in enumerate(data["features"]):
        check_features(feat.get("implies", []), "features", i, "implies")
        check_features(feat.get("excludes", []), "features", i, "excludes")
        for j, group in enumerate(feat.get("answered_by", [])):
            check_features(group, "features", i, "answered_by", j)
        if feat.get("answered_by") and not feat["question"]:
            problems.append(
                f"{where('features', i, 'answered_by')}: only a feature with "
                "question: true is answered"
            )
    for i, cause in enumerate(data["causes"]):
        check_source(cause["source"], "causes", i, "source")
        weighed: set[str] = set()
        for j, ev in enumerate(cause["evidence"]):
            if ev["feature"] not in features:
                problems.append(
                    f"{where('causes', i, 'evidence', j, 'feature')}: "
                    f"unknown feature {ev['feature']!r}"
                )
            if ev["feature"] in weighed:
                problems.append(
                    f"{where('causes', i, 'evidence', j, 'feature')}: "
                    f"{ev['feature']!r} is weighed twice; give it one entry"
                )
            weighed.add(ev["feature"])
        check_advice(cause["advice"], "causes", i, "advice")
        check_features(cause["core"], "causes", i, "core")
        for j, fid in enumerate(cause["core"]):
            if not any(ev["feature"] == fid and ev["present"] > 0 for ev in cause["evidence"]):
                problems.append(
                    f"{where('causes', i, 'core', j)}: core feature {fid!r} has no "
                    "positive evidence for the cause"
                )
        check_level(cause["level"], "causes", i, "level")
        key = cause.get("key_question")
        if key is not None and (key not in features or not features[key]["question"]):
            problems.append(
                f"{where('causes', i, 'key_question')}: expected a feature with "
                f"question: true, got {key!r}"
            )
        if not any(ev["present"] > 0 for ev in cause["evidence"]):
            problems.append(
                f"{where('causes', i, 'evidence')}: no feature speaks for the cause, "
                "so it can never rank first"
            )
    for key in ("escalations", "history_rules"):
        for i, rule in enumerate(data[key]):
            check_source(rule["source"], key, i, "source")
            check_features(rule.get("any_features", []), key, i, "any_features")
            for j, lv in enumerate(rule.get("raise_from", [])):
                check_level(lv, key, i, "raise_from", j)
            check_level(rule["raise_to"], key, i, "raise_to")
            check_advice(rule["advice"], key, i, "advice")
    for i, sign in enumerate(data["danger_signs"]):
        check_features(sign["any_features"], "danger_signs", i, "any_features")
        for j, group in enumerate(sign["screen_when"]):
            check_features(group, "danger_signs", i, "screen_when", j)
        check_level(sign["level"], "danger_signs", i, "level")
        check_advice(sign["advice"], "danger_signs", i, "advice")
        if "public_source" not in sign["source"]:
            problems.append(
                f"{where('danger_signs', i, 'source')}: danger signs are not in the "
                "article, so each must cite a public_source"
            )
        sq = sign.get("screen_question")
        if sq is not None:
            if sq not in sign["any_features"]:
                problems.append(
                    f"{where('danger_signs', i, 'screen_question')}: expected one of "
                    f"the sign's any_features, got {sq!r}"
                )
            elif not features[sq]["question"]:
                problems.append(
                    f"{where('danger_signs', i, 'screen_question')}: feature {sq!r} "
                    "has question: false, so it cannot be asked"
                )
        elif sign["screen_when"]:
            problems.append(
                f"{where('danger_signs', i)}: screen_when is set but screen_question is missing"
            )
        for fid in sign["any_features"]:
            if fid in features and features[fid]["category"] not in ("danger", "place"):
                problems.append(
                    f"{where('danger_signs', i, 'any_features')}: feature {fid!r} "
                    "is not in the danger or place category"
                )
        for j, other in enumerate(sign.get("yields_to", [])):
            if other not in dangers:
                problems.append(
                    f"{where('danger_signs', i, 'yields_to', j)}: expected the id of "
                    f"another danger sign, got {other!r}"
                )
            elif other == sign["id"]:
                problems.append(
                    f"{where('danger_signs', i, 'yields_to', j)}: a danger sign "
                    "cannot yield to itself"
                )
    for i, complaint in enumerate(data["complaints"]):
        check_features(complaint["any_features"], "complaints", i, "any_features")
        check_features(complaint["unless_features"], "complaints", i, "unless_features")
        check_advice(complaint["advice"], "complaints", i, "advice")
        check_level(complaint["level"], "complaints", i, "level")
        if "public_source" not in complaint["source"]:
            problems.append(
                f"{where('complaints', i, 'source')}: adjacent complaints are not in "
                "the article, so each must cite a public_source"
            )
        for fid in complaint["any_features"]:
            if fid in features and features[fid]["category"] not in ("complaint", "sensation"):
                problems.append(
                    f"{where('complaints', i, 'any_features')}: feature {fid!r} is "
                    "not in the complaint or sensation category"
                )
            if fid in complaint["unless_features"]:
                problems.append(
                    f"{where('complaints', i, 'unless_features')}: {fid!r} both "
                    "makes and unmakes the complaint"
                )
    for i, combo in enumerate(data["combinations"]):
        check_source(combo["source"], "combinations", i, "source")
        check_features([combo["feature"]], "combinations", i, "feature")
        for j, group in enumerate(combo["groups"]):
            check_features(group["any"], "combinations", i, "groups", j, "any")
            if group.get("min", 1) > len(group["any"]):
                problems.append(
                    f"{where('combinations', i, 'groups', j, 'min')}: expected at "
                    f"most {len(group['any'])}, got {group['min']}"
                )
            if combo["feature"] in group["any"]:
                problems.append(
                    f"{where('combinations', i, 'groups', j)}: the rule's own "
                    "feature cannot be one of its conditions"
                )
    for i, adv in enumerate(data["advice"]):
        check_features(adv.get("skip_when", []), "advice", i, "skip_when")
        check_features(adv.get("contraindicated_by", []), "advice", i, "contraindicated_by")
    for j, fid in enumerate(data["policy"]["guided_questions"]):
        if fid not in features:
            problems.append(f"{where('policy', 'guided_questions', j)}: unknown feature {fid!r}")
        elif not features[fid]["question"]:
            problems.append(
                f"{where('policy', 'guided_questions', j)}: feature {fid!r} "
                "has question: false, so it cannot be asked"
            )
    check_features(data["policy"]["confirm_before_advice"], "policy", "confirm_before_advice")
    check_advice(data["policy"]["general_advice"], "policy", "general_advice")
    for j, fid in enumerate(data["policy"]["confirm_before_advice"]):
        if fid in features and not features[fid]["question"]:
            problems.append(
                f"{where('policy', 'confirm_before_advice', j)}: feature {fid!r} "
                "has question: false, so it cannot be asked"
            )
    for i, adv in enumerate(data["advice"]):
        check_source(adv["source"], "advice", i, "source")
    return problems


def check_article_anchors(data: dict[str, Any], path: Path) -> list[str]:
    """Check that every cited article section can be found in the article's text (at ``path``:
    the tooling says where, see :func:`skill.tools.paths.article_path`)."""
    if not path.exists():
        return [f"{path}: the source article is missing, so its sections cannot be checked"]
    text = path.read_text(encoding="utf-8")
    return [
        f"skill/data/knowledge.json:$.article.sections[{i}].anchor: {sec['anchor']!r} "
        f"does not appear in {path.name}"
        for i, sec in enumerate(data["article"]["sections"])
        if sec["anchor"] not in text
    ]


def build_knowledge(data: dict[str, Any], check: bool = True) -> Knowledge:
    """Turn knowledge data into the engine's NamedTuples, checking it first
    unless ``check`` is false (the runtime's data was checked before it shipped)."""
    if check:
        problems = check_knowledge(data)
        if problems:
            raise DataError(problems)
    kb = Knowledge(
        features={
            f["id"]: Feature(
                f["id"],
                f["category"],
                f["title"],
                f["question"],
                tuple(f.get("implies", ())),
                tuple(f.get("excludes", ())),
                tuple(tuple(g) for g in f.get("answered_by", ())),
            )
            for f in data["features"]
        },
        causes=tuple(
            Cause(
                id=c["id"],
                title=c["title"],
                source=c["source"],
                prior=float(c["prior"]),
                core=tuple(c["core"]),
                evidence=tuple(
                    Evidence(e["feature"], float(e["present"]), float(e.get("absent", 0.0)))
                    for e in c["evidence"]
                ),
                advice=tuple(c["advice"]),
                level=c["level"],
                key_question=c.get("key_question"),
            )
            for c in data["causes"]
        ),
        escalations=tuple(
            Escalation(
                e["id"],
                e["title"],
                tuple(e["any_features"]),
                tuple(e["raise_from"]) if "raise_from" in e else None,
                e["raise_to"],
                tuple(e["advice"]),
            )
            for e in data["escalations"]
        ),
        history_rules=tuple(
            HistoryRule(
                h["id"],
                h["title"],
                float(h["window_days"]),
                float(h["min_days_ago"]),
                int(h["min_matches"]),
                h["raise_to"],
                tuple(h["advice"]),
            )
            for h in data["history_rules"]
        ),
        danger_signs=tuple(
            DangerSign(
                d["id"],
                d["title"],
                tuple(d["any_features"]),
                tuple(tuple(g) for g in d["screen_when"]),
                d.get("screen_question"),
                d["level"],
                tuple(d["advice"]),
                d["source"],
                tuple(d.get("yields_to", ())),
            )
            for d in data["danger_signs"]
        ),
        complaints=tuple(
            Complaint(
                c["id"],
                c["title"],
                tuple(c["any_features"]),
                tuple(c["unless_features"]),
                tuple(c["advice"]),
                c["level"],
                c["source"],
            )
            for c in data["complaints"]
        ),
        combinations=tuple(
            Combination(
                c["id"],
                c["feature"],
                groups,
                c["scope"],
                frozenset(f for g in groups for f in g.any),
            )
            for c in data["combinations"]
            for groups in [tuple(Group(tuple(g["any"]), int(g.get("min", 1))) for g in c["groups"])]
        ),
        advice={a["id"]: a for a in data["advice"]},
        levels={lv["id"]: lv["rank"] for lv in data["triage_levels"]},
        policy=Policy(
            max_questions=data["policy"]["max_questions"],
            max_turns=data["policy"]["max_turns"],
            guided_questions=tuple(data["policy"]["guided_questions"]),
            min_top_score=float(data["policy"]["min_top_score"]),
            min_margin=float(data["policy"]["min_margin"]),
            history_window_days=data["policy"]["history_window_days"],
            confirm_before_advice=tuple(data["policy"]["confirm_before_advice"]),
            general_advice=tuple(data["policy"]["general_advice"]),
        ),
        article=data["article"],
    )
    categories: dict[str, set[str]] = {}
    for feat in kb.features.values():
        categories.setdefault(feat.category, set()).add(feat.id)
    return kb._replace(
        by_cause={c.id: c for c in kb.causes},
        weights={
            c.id: {e.feature: (i, e.present, e.absent) for i, e in enumerate(c.evidence)}
            for c in kb.causes
        },
        speaks_for={
            c.id: frozenset(e.feature for e in c.evidence if e.present > 0) for c in kb.causes
        },
        by_category={k: frozenset(v) for k, v in categories.items()},
        questions=tuple(f for f in kb.features.values() if f.question and f.category != "danger"),
        answerable=tuple(f for f in kb.features.values() if f.answered_by and f.question),
    )


def read_data_file(path: Path, missing: str) -> dict[str, Any]:
    """A JSON data file as it is written; :class:`DataError` says ``missing`` when there is
    no such file, and where the JSON breaks when it is not valid."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError([f"{path}: {missing}"]) from exc
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]) from exc
    return data


def read_knowledge_data(path: Path = KNOWLEDGE_PATH) -> dict[str, Any]:
    """The knowledge file as it is written."""
    return read_data_file(path, "the knowledge file is missing")


@lru_cache(maxsize=1)
def load_knowledge() -> Knowledge:
    """The skill's knowledge, read once per process (checked at build time, not here)."""
    return build_knowledge(read_knowledge_data(), check=False)
