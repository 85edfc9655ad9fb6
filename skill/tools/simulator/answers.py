"""Answers given as the questions come: a scripted runner for the console.

``legcheck simulate --answers FILE`` reads rules from a YAML (or ``.json``) file: what Alexa
says, to what the runner answers::

    description: Twitching calves; it passed, and yes, remember my check-ins.
    start: ask leg check my calves are twitching
    answers:
      lasted for a day: "no"
      remember your check-ins: "yes"

Whenever the skill has spoken and the session is still open, the first rule whose pattern
matches what Alexa just said gives the runner's answer. A pattern matches when the speech
contains it (case-insensitive), or when it matches as a regular expression
(:func:`re.search`, case-insensitive): ``worse|lingers``. The answers stop when the session
ends or no rule matches; the console says so, and the next line of input (or the keyboard)
carries on. ``start`` (optional) is said first, before any input is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from skill.errors import DataError
from skill.tools.simulator.replay import load_yaml, read_text

ANSWERS_KEYS = {
    "description": "what this runner does (optional)",
    "start": "what the runner says first, before any input is read (optional)",
    "answers": "what Alexa says (words it contains, or a regular expression) -> the answer",
}
MAX_ANSWERS_IN_A_ROW = 40
"""The answers stop after this many in one session: a rule answering a question the skill
keeps asking would otherwise go round for ever."""


@dataclass(frozen=True)
class Rule:
    """One rule: a pattern for what Alexa said, and the runner's answer."""

    pattern: str
    answer: str
    regex: re.Pattern[str] | None
    """The pattern as a regular expression; None when it is not a valid one."""

    def matches(self, speech: str) -> bool:
        if self.pattern.casefold() in speech.casefold():
            return True
        return self.regex is not None and self.regex.search(speech) is not None


@dataclass(frozen=True)
class Answers:
    """An answers file: who the scripted runner is, and their rules, in the file's order."""

    path: Path
    description: str
    start: str | None
    rules: tuple[Rule, ...]

    def answer(self, speech: str) -> Rule | None:
        """The first rule that matches what Alexa said, if any."""
        return next((rule for rule in self.rules if rule.matches(speech)), None)


def _words(value: Any) -> str | None:
    """What the runner says, as text (a number is said as written); None if it is not."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text or None
    return None


def read_answers(path: Path) -> Answers:
    """Read and check an answers file; :class:`DataError` lists every problem with its place."""
    text = read_text(path)
    try:
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]) from exc
    except yaml.YAMLError as exc:
        raise DataError([f"{path}: not valid YAML: {' '.join(str(exc).split())}"]) from exc
    if not isinstance(data, dict):
        raise DataError([f"{path}: expected a mapping with answers (and description, start)"])
    problems = [
        f"{path}:$.{key}: unknown key; expected one of {sorted(ANSWERS_KEYS)}"
        for key in data
        if key not in ANSWERS_KEYS
    ]
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{path}:$.description: expected text")
        description = ""
    start = data.get("start")
    if start is not None and _words(start) is None:
        problems.append(f"{path}:$.start: expected the words the runner says first, as text")
    raw = data.get("answers")
    rules: list[Rule] = []
    if not isinstance(raw, dict) or not raw:
        problems.append(
            f"{path}:$.answers: expected a mapping of what Alexa says to the runner's answer, "
            f'e.g. {{"lasted for a day": "no"}}'
        )
        raw = {}
    for pattern, answer in raw.items():
        place = f"{path}:$.answers[{str(pattern)!r}]"
        said = _words(answer)
        if not isinstance(pattern, str) or not pattern.strip():
            problems.append(f"{place}: expected what Alexa says, as text")
        elif said is None:
            problems.append(f"{place}: expected the runner's answer, as text, got {answer!r}")
        else:
            try:
                regex: re.Pattern[str] | None = re.compile(pattern, re.IGNORECASE)
            except re.error:
                regex = None  # words to look for, then
            rules.append(Rule(pattern.strip(), said, regex))
    if problems:
        raise DataError(problems)
    return Answers(path, description.strip(), _words(start), tuple(rules))
