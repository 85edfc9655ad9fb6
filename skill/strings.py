"""Spoken strings, one JSON file per language and per locale under ``skill/data/locales``.

``en.json`` holds every English string; ``en-GB.json`` and the other markets'
files extend it (``"extends": "en"``) with what differs there: the emergency
number and how it is said, the name for the doctor, urgent-care wording. A new
locale is a data change. They are read once, at import, and checked by
``legcheck validate``, CI and ``legcheck package``. Handlers never hold
user-facing text; they ask :func:`strings_for` for the runner's locale, which
falls back from locale to language (English where the language has none), with
the emergency number of the locale's country from ``emergency_numbers.json`` (112
across the EU, 111 in New Zealand) or else "your local emergency number", never
another market's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from skill.errors import DataError
from skill.knowledge import Knowledge, load_knowledge

LOCALES_DIR = Path(__file__).parent / "data" / "locales"
DEFAULT_LOCALE = "en-US"

REQUIRED_PROMPTS = (
    "launch",
    "launch_reprompt",
    "describe",
    "describe_more",
    "help",
    "help_during_question",
    "help_reprompt",
    "goodbye",
    "fallback",
    "fallback_during_question",
    "question_reprompt",
    "error",
    "error_reprompt",
    "repeat_nothing",
    "start_over",
    "yes_no_without_question",
    "privacy",
    "privacy_nothing",
    "privacy_unavailable",
    "forget_confirm",
    "forget_confirm_reprompt",
    "forget_done",
    "forget_nothing",
    "forget_kept",
    # a store that cannot be reached, written or read (docs/faults.md)
    "forget_unreachable",
    "forget_failed",
    "privacy_unreachable",
    "privacy_unreadable",
    "consent_no_not_saved",
    "stop_remembering_unreachable",
    "stop_remembering_failed",
    "history_unreachable",
    "history_unreadable",
    "record_unreadable_not_saved",
    "checkins_one",
    "checkins_many",
    "disclaimer",
    "card_title",
    "card_title_danger",
    "screen_seen_today",
    "you_mentioned",
    "may_be",
    "may_also_be",
    "what_to_do",
    "and",
    "or",
    "unclear",
    "card_title_unclear",
    "mentioned_where",
    "mentioned_that",
    "mentioned_and_that",
    "guided_intro",
    "noted_no_danger",
    "moving_on",
    "see_doctor_because",
    "not_caught",
    "see_doctor_plainly",
    "safety_check_again",
    # memory: consent, stop and start remembering, the summary, a symptom that comes back
    "privacy_refused",
    "consent_ask",
    "consent_reprompt",
    "consent_help",
    "consent_yes",
    "consent_no",
    "consent_not_saved",
    "stop_remembering_done",
    "stop_remembering_none",
    "start_remembering_done",
    "start_remembering_already",
    "history_none",
    "history_refused",
    "history_summary",
    "history_count",
    "history_last",
    "history_last_unclear",
    "card_title_history",
    "when_0",
    "when_1",
    "when_days",
    "times_1",
    "times_2",
    "times_many",
    "recurrence",
    "recurrence_many",
    "ordinal_2",
    "ordinal_3",
    "ordinal_4",
    "ordinal_5",
    # screens and cards
    "screen_source",
    "card_steps",
    "card_more",
    # adjacent complaints, requests the skill cannot serve, a check-in stopped
    "complaint_may_be",
    "complaint_scope",
    "out_of_scope",
    "out_of_scope_during_question",
    "check_in_stopped",
    # the follow-up: "Yesterday you told me about ... Is it still there?" (0 to
    # skill.history.FOLLOW_UP_DAYS days ago: tests/test_strings.py checks)
    "follow_up_0",
    "follow_up_1",
    "follow_up_2",
    "follow_up_3",
    "follow_up_reprompt",
    "follow_up_help",
    "follow_up_gone",
    "follow_up_gone_not_saved",
    "follow_up_gone_lead",
    "history_last_gone",
    # the next-day check-in reminder: the offer, its answers, the reminder's own words, and
    # one sentence for each way it can fail (skill.reminders.ReminderFailure)
    "consent_yes_then",
    "consent_no_then",
    "reminder_when_clock",
    "reminder_when_relative",
    "reminder_offer",
    "reminder_offer_reprompt",
    "reminder_help",
    "reminder_no",
    "reminder_set",
    "reminder_text",
    "reminder_permission_denied",
    "reminder_permission_not_answered",
    "reminder_failed_permission",
    "reminder_failed_throttled",
    "reminder_failed_service_down",
    "reminder_failed_timeout",
    "reminder_failed_malformed",
    "reminder_failed_rejected",
    "reminder_failed_not_https",
)


@dataclass(frozen=True)
class LocaleStrings:
    locale: str
    data: dict[str, Any]

    @cached_property
    def emergency_number(self) -> str:
        return str(self.data["emergency_number"])

    @cached_property
    def doctor(self) -> str:
        return str(self.data.get("doctor", ""))

    @cached_property
    def aliases(self) -> dict[str, str]:
        """How the emergency numbers are said ("000": "triple zero"), for SSML."""
        return {str(k): str(v) for k, v in (self.data.get("say_as") or {}).items()}

    def publishing(self) -> dict[str, Any]:
        return dict(self.data.get("publishing") or {})

    def fill(self, text: str, **values: Any) -> str:
        if "{" not in text and "}" not in text:
            return text  # (most texts have nothing to fill)
        return text.format(number=self.emergency_number, doctor=self.doctor, **values)

    def prompt(self, key: str, **values: Any) -> str:
        return self.fill(self.data["prompts"][key], **values)

    def question(self, feature: str) -> str:
        return str(self.data["questions"][feature])

    def feature(self, feature: str) -> str:
        return str(self.data["features"][feature])

    def cause(self, cause: str) -> dict[str, str]:
        return dict(self.data["causes"][cause])

    def complaint(self, complaint: str) -> dict[str, str]:
        return dict(self.data["complaints"][complaint])

    def advice(self, advice: str) -> str:
        return self.fill(self.data["advice"][advice])

    def level(self, level: str) -> str:
        return self.fill(str(self.data["levels"].get(level, "")))

    def danger(self, sign: str) -> str:
        return self.fill(str(self.data["danger"][sign]))

    def raised(self, rule: str) -> str:
        return self.fill(str(self.data["raised"][rule]))

    def denied(self, feature: str) -> str:
        return str(self.data["denied"][feature])

    def red_flag(self, feature: str) -> str:
        return str(self.data["red_flags"][feature])

    @cached_property
    def clock(self) -> dict[str, str]:
        """How a time of day is said here (:meth:`skill.reminders.LocalClock.words` fills it:
        "7 PM", "7 pm", "7 p.m.")."""
        return {str(k): str(v) for k, v in (self.data.get("clock") or {}).items()}

    def count_checkins(self, count: int) -> str:
        if count == 1:
            return self.prompt("checkins_one")
        return self.prompt("checkins_many", count=count)


def check_locale(data: Any, knowledge: Knowledge, file: str) -> list[str]:
    """Every problem in one locale file, each with its file and place."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"{file}: expected a JSON object, got {type(data).__name__}"]

    def need(section: str, keys: list[str] | tuple[str, ...], what: str) -> None:
        block = data.get(section)
        if not isinstance(block, dict):
            problems.append(f"{file}:$.{section}: expected an object of {what}, it is missing")
            return
        for key in keys:
            value = block.get(key)
            if key not in block:
                problems.append(f"{file}:$.{section}.{key}: missing text for {what} {key!r}")
            elif section in ("causes", "complaints"):
                if not (isinstance(value, dict) and value.get("name") and value.get("explain")):
                    problems.append(f"{file}:$.{section}.{key}: expected name and explain")
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"{file}:$.{section}.{key}: expected non-empty text")
        known = set(keys)
        for key in block:
            if key not in known and section != "levels":
                problems.append(f"{file}:$.{section}.{key}: {key!r} is not known to the skill")

    if not isinstance(data.get("emergency_number"), str):
        problems.append(f"{file}:$.emergency_number: expected the local emergency number")
    if not isinstance(data.get("doctor"), str) or not data.get("doctor"):
        problems.append(f"{file}:$.doctor: expected the local name for the doctor to see")
    say_as = data.get("say_as")
    if not isinstance(say_as, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in say_as.items()
    ):
        problems.append(f"{file}:$.say_as: expected an object of number to how it is said")
    pub = data.get("publishing")
    if not isinstance(pub, dict):
        problems.append(f"{file}:$.publishing: expected the store listing's text")
    else:
        for key in ("name", "summary", "description"):
            if not isinstance(pub.get(key), str) or not pub.get(key):
                problems.append(f"{file}:$.publishing.{key}: expected non-empty text")
        for key in ("examplePhrases", "keywords"):
            if not (
                isinstance(pub.get(key), list)
                and pub[key]
                and all(isinstance(x, str) for x in pub[key])
            ):
                problems.append(f"{file}:$.publishing.{key}: expected a list of text")
    need("prompts", REQUIRED_PROMPTS, "prompt")
    from skill.reminders import CLOCK_PATTERNS  # (the tooling checks; a turn never does)

    need("clock", CLOCK_PATTERNS, "clock pattern")
    need("questions", [f.id for f in knowledge.features.values() if f.question], "question")
    need("features", list(knowledge.features), "feature")
    need("causes", [c.id for c in knowledge.causes], "cause")
    need("complaints", [c.id for c in knowledge.complaints], "adjacent complaint")
    need("advice", list(knowledge.advice), "advice")
    need("danger", [d.id for d in knowledge.danger_signs], "danger sign")
    need("raised", [h.id for h in knowledge.history_rules], "history rule")
    need(
        "denied",
        [f.id for f in knowledge.features.values() if f.category == "danger"],
        "danger feature",
    )
    flags = sorted({f for e in knowledge.escalations for f in e.any_features})
    need("red_flags", flags, "red flag")
    for level in data.get("levels", {}):
        if level not in knowledge.levels:
            problems.append(f"{file}:$.levels.{level}: not a triage level")
    return problems


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value)
        return out
    return over


def merge_locale_files(
    raw: dict[str, Any], folder: str = "skill/data/locales"
) -> tuple[dict[str, Any], list[str]]:
    """Each file's data merged over the language file it extends, and the problems."""
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for code, data in raw.items():
        rel = f"{folder}/{code}.json"
        if not isinstance(data, dict):
            problems.append(f"{rel}: expected a JSON object, got {type(data).__name__}")
            continue
        base = data.get("extends")
        if base is not None:
            if base not in raw or not isinstance(raw[base], dict) or "extends" in raw[base]:
                problems.append(
                    f"{rel}:$.extends: expected a language file such as 'en', got {base!r}"
                )
                continue
            data = _merge(raw[base], data)
            data.pop("extends", None)
        merged[code] = data
    return merged, problems


def read_locales(
    knowledge: Knowledge | None = None, check: bool = True
) -> dict[str, LocaleStrings]:
    """Every language's and locale's strings, each locale merged over the file it
    extends; checked unless ``check`` is false (the skill's start)."""
    kb = knowledge or load_knowledge()
    raw: dict[str, Any] = {}
    problems: list[str] = []
    for path in sorted(LOCALES_DIR.glob("*.json")):
        try:
            raw[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(
                f"skill/data/locales/{path.name}:{exc.lineno}:{exc.colno}: "
                f"not valid JSON: {exc.msg}"
            )
    merged, merge_problems = merge_locale_files(raw)
    problems.extend(merge_problems)
    found: dict[str, LocaleStrings] = {}
    for code, data in merged.items():
        rel = f"skill/data/locales/{code}.json"
        if check:
            problems.extend(check_locale(data, kb, rel))
        if data.get("locale") != code:
            problems.append(f"{rel}:$.locale: expected {code!r}, got {data.get('locale')!r}")
        found[code] = LocaleStrings(code, data)
    if DEFAULT_LOCALE not in found:
        problems.append(f"skill/data/locales: the default locale {DEFAULT_LOCALE} is missing")
    if problems:
        raise DataError(problems)
    return found


LOCALES: dict[str, LocaleStrings] = read_locales(check=False)


NUMBERS_PATH = LOCALES_DIR.parent / "emergency_numbers.json"
FALLBACK_LANGUAGE = "en"


@lru_cache(maxsize=1)
def read_numbers() -> dict[str, dict[str, str]]:
    """Country code to its emergency number and how it is said, for countries without a
    locale file of their own (``skill/data/emergency_numbers.json``)."""
    data = json.loads(NUMBERS_PATH.read_text(encoding="utf-8"))
    return {str(code): dict(entry) for code, entry in data["countries"].items()}


def check_numbers(data: Any, file: str = "skill/data/emergency_numbers.json") -> list[str]:
    """Every problem in the emergency numbers file, each with its place."""
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict):
        return [f"{file}: expected an object with 'countries'"]
    problems = []
    for code, entry in data["countries"].items():
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            problems.append(
                f"{file}:$.countries.{code}: expected a two-letter country code in capitals"
            )
        if not isinstance(entry, dict):
            problems.append(f"{file}:$.countries.{code}: expected an object")
            continue
        number, said = entry.get("number"), entry.get("say_as")
        if not (isinstance(number, str) and number.isdigit()):
            problems.append(f"{file}:$.countries.{code}.number: expected digits, got {number!r}")
        if not (isinstance(said, str) and said.strip()):
            problems.append(
                f"{file}:$.countries.{code}.say_as: expected how the number is said, got {said!r}"
            )
    ids = set()
    for i, source in enumerate(data.get("sources") or [None]):
        if not (isinstance(source, dict) and str(source.get("url", "")).startswith("https://")):
            problems.append(f"{file}:$.sources[{i}]: expected a named source with its https url")
        else:
            ids.add(source.get("id"))
    for code, entry in data["countries"].items():
        if isinstance(entry, dict) and "source" in entry and entry["source"] not in ids:
            problems.append(
                f"{file}:$.countries.{code}.source: expected one of the sources' "
                f"ids {sorted(i for i in ids if i)}, got {entry['source']!r}"
            )
        if f"{FALLBACK_LANGUAGE}-{code}" in LOCALES:
            problems.append(
                f"{file}:$.countries.{code}: {FALLBACK_LANGUAGE}-{code} has its "
                "own locale file, which holds its number"
            )
    return problems


_BY_LOCALE: dict[str, LocaleStrings] = {}


def strings_for(locale: str | None) -> LocaleStrings:
    """The strings for a locale; else the same language's (English where the language has
    none), with the emergency number of the locale's country when its file lists it, or
    "your local emergency number": never another market's number."""
    if not isinstance(locale, str):
        return LOCALES[DEFAULT_LOCALE]
    found = LOCALES.get(locale) or _BY_LOCALE.get(locale)
    if found is not None:
        return found
    language, _, country = locale.partition("-")
    market = LOCALES.get(f"{FALLBACK_LANGUAGE}-{country.upper()}")
    if language not in LOCALES and market is not None:
        # another language in one of the five markets (es-US, fr-CA, hi-IN): that market's
        # English words and its own number
        _BY_LOCALE[locale] = market
        return market
    base = LOCALES.get(language) or LOCALES[FALLBACK_LANGUAGE]
    entry = read_numbers().get(country.upper()) if country.isalpha() else None
    found = (
        base
        if entry is None
        else LocaleStrings(
            base.locale,
            {
                **base.data,
                "emergency_number": entry["number"],
                "say_as": {**(base.data.get("say_as") or {}), entry["number"]: entry["say_as"]},
            },
        )
    )
    if len(_BY_LOCALE) < 64:  # (a locale is a short code from a request: few are ever seen)
        _BY_LOCALE[locale] = found
    return found
