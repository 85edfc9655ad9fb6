"""What an Echo Show shows: the APL document and its data source for an outcome.

Pure functions over :class:`~skill.triage.TriageResult` and the locale's strings:
the documents live in ``skill/data/apl`` and hold no words of their own; every text
they display comes from the data source built here. :func:`screen_lines` turns a
data source back into the lines a screen would show, for ``legcheck simulate`` and
the tests.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.knowledge import Knowledge
from skill.strings import LocaleStrings
from skill.triage import TriageResult

APL_DIR = Path(__file__).parent / "data" / "apl"
APL_INTERFACE = "Alexa.Presentation.APL"
RENDER_DIRECTIVE = "Alexa.Presentation.APL.RenderDocument"
TOKEN = "legcheck-advice"


@lru_cache(maxsize=4)
def document(name: str) -> dict[str, Any]:
    """An APL document from ``skill/data/apl`` (``advice`` or ``emergency``)."""
    data: dict[str, Any] = json.loads((APL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"checkin": {"type": "object", "properties": properties}}


def datasource(
    strings: LocaleStrings,
    knowledge: Knowledge,
    result: TriageResult,
    doctor_first: str,
    steps: list[str],
) -> tuple[str, dict[str, Any]]:
    """The document name and its data source for an outcome.

    ``doctor_first`` is the red-flag sentence said first (or empty); ``steps`` the
    advice sentences, in the order they are spoken.
    """
    if result.is_danger:
        reason = " ".join(strings.danger(sign) for sign in result.danger_signs)
        # the number large only when it is the one to call now; a sign to be seen for today
        # gets a heading that says so instead
        emergency = knowledge.levels[result.level] == max(knowledge.levels.values())
        return "emergency", _object(
            {
                "number": strings.emergency_number if emergency else "",
                "heading": "" if emergency else strings.prompt("screen_seen_today"),
                "action": steps[0] if steps else "",
                "reason": reason,
            }
        )
    if result.complaints:
        complaint = strings.complaint(result.complaints[0])
        rule = next(c for c in knowledge.complaints if c.id == result.complaints[0])
        source = rule.source.get("public_source", {}).get("title", "")
        return "advice", _object(
            {
                "title": strings.prompt("card_title") + ": " + complaint["name"],
                "summary": strings.prompt("complaint_may_be", complaint=complaint["name"])
                + " "
                + complaint["explain"],
                "stepsHeading": strings.prompt("what_to_do"),
                "steps": steps,
                "doctor": strings.prompt("complaint_scope"),
                "source": strings.prompt("screen_source", title=source),
            }
        )
    if result.contenders:
        cause = strings.cause(result.top.id)
        title = strings.prompt("card_title") + ": " + cause["name"]
        summary = strings.prompt("may_be", cause=cause["name"]) + " " + cause["explain"]
    else:
        title = strings.prompt("card_title_unclear")
        summary = strings.prompt("unclear")
    doctor = doctor_first or strings.level(result.level)
    return "advice", _object(
        {
            "title": title,
            "summary": summary,
            "stepsHeading": strings.prompt("what_to_do"),
            "steps": steps,
            "doctor": doctor,
            "source": strings.prompt("screen_source", title=knowledge.article["title"]),
        }
    )


class Screen(NamedTuple):
    """An outcome's screen, kept as what it is made of: its data source is built only for
    a device that has a screen (:meth:`content`)."""

    strings: LocaleStrings
    knowledge: Knowledge
    result: TriageResult
    doctor_first: str
    steps: tuple[str, ...]

    def content(self) -> tuple[str, dict[str, Any]]:
        """The document name and its data source (see :func:`datasource`)."""
        return datasource(
            self.strings, self.knowledge, self.result, self.doctor_first, list(self.steps)
        )


def directive(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The RenderDocument directive, as the JSON Alexa receives."""
    return {
        "type": RENDER_DIRECTIVE,
        "token": TOKEN,
        "document": document(name),
        "datasources": data,
    }


def screen_lines(data: dict[str, Any]) -> list[str]:
    """The texts a screen shows for a data source, top to bottom."""
    props = data.get("checkin", {}).get("properties", {})
    lines: list[str] = []
    for key in ("number", "heading", "action", "reason", "title", "summary", "stepsHeading"):
        if props.get(key):
            lines.append(str(props[key]))
    lines.extend(f"{i}. {step}" for i, step in enumerate(props.get("steps", []), 1))
    for key in ("doctor", "source"):
        if props.get(key):
            lines.append(str(props[key]))
    return lines
