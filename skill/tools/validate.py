"""``legcheck validate``: lint the interaction models, the knowledge file and the locale strings.

Every problem is listed with its file and its place in the file
(``file:$.path: message``), the way ``check_knowledge`` reports, instead of
stopping at the first. The checks on an interaction model are Amazon's rules
(from the Alexa Skills Kit documentation) plus what Leg Check needs of it:

* its JSON Schema (``interaction_model/schema/interaction-model.schema.json``);
* the invocation name: lower-case letters, spaces, possessive apostrophes and
  periods in spoken abbreviations; two words or more; no launch words,
  connecting words or wake words;
* sample utterances: letters, spaces, possessive apostrophes and periods in
  abbreviations only; every ``{Slot}`` defined on its intent and used once;
  no sample in two intents (compared with each slot replaced by its type), or
  one that Alexa already maps to another built-in intent; every slot used;
* slot types: every type used and defined, no value or synonym given to two
  values, every value id a feature id of the knowledge file;
* the built-in intents Amazon requires (Cancel, Help, Stop, NavigateHome) and
  the FallbackIntent Leg Check relies on; every intent handled by a handler in
  :data:`skill.handlers.HANDLED_INTENTS`, and every handled intent in the model;
* the words (:func:`check_words`): the slot types are the lexicon's, and a sample's
  carrier words mean nothing the skill needs;
* every market's model is the source model with the market's overlay, as
  ``legcheck model sync`` writes it (:func:`check_locale_models`).

The knowledge file is checked with :func:`skill.knowledge.check_knowledge`
and against the source article (:func:`article_check`), and for reach: every cause
can rank first from what a runner can say or be asked, every advice is given
by some rule, every danger sign can be heard. Each locale file is checked
with :func:`skill.strings.check_locale`, the emergency numbers with
:func:`skill.strings.check_numbers`.

Where the models are, how they are read and written, and their slot grammar belong to
:mod:`skill.tools.models`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for

from skill.knowledge import (
    KNOWLEDGE_PATH,
    Knowledge,
    build_knowledge,
    check_article_anchors,
    check_knowledge,
)
from skill.strings import LOCALES_DIR
from skill.tools.models import (
    MODEL_SCHEMA_PATH,
    MODELS_DIR,
    OVERLAYS_DIR,
    SLOT_RE,
    SOURCE_LOCALE,
    lexicon_types,
    locale_model,
    phrasebook,
    read_overlays,
    slot_names,
    words,
)
from skill.tools.paths import ARTICLE_ENV, REPO_ROOT, article_path

REQUIRED_BUILTINS = (
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent",
)
SKILL_BUILTINS = ("AMAZON.FallbackIntent",)
INVOCATION_CHARS = re.compile(r"^[a-z' .]+$")
POSSESSIVE = re.compile(r"[a-z]'s\b|s'(?=\s|$)")
IN_WORD_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])|(?<=s)'(?=\s|$)")
ABBREVIATION = re.compile(r"(?:^|\s)[a-z]\.(?=\s|$)")
SAMPLE_BAD_CHAR = re.compile(r"[^\w' .]|\d|_")
NAME_RE = re.compile(r"^[A-Za-z_]+$")
LOCALE_RE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")


def _place(*path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


LM = ("interactionModel", "languageModel")


# ------------------------------------------------------------------ models


def check_model_schema(data: Any, file: str, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Problems against the interaction model's JSON Schema."""
    if schema is None:
        if not MODEL_SCHEMA_PATH.exists():
            return [
                f"{MODEL_SCHEMA_PATH.relative_to(REPO_ROOT)}: the interaction model schema is "
                "missing, so the models cannot be checked against it"
            ]
        schema = json.loads(MODEL_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = validator_for(schema)(schema)
    return [
        f"{file}:{_place(*err.absolute_path)}: {err.message}"
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]


def file_locale(file: str) -> str:
    """The locale a model file is named for (``.../en-GB.json``), else en-US."""
    stem = Path(file).stem
    return stem if LOCALE_RE.match(stem) else "en-US"


def check_invocation_name(name: str, where: str, locale: str = "en-US") -> list[str]:
    """Amazon's invocation name requirements (the words from the language's phrasebook)."""
    rules = phrasebook(locale).invocation
    problems: list[str] = []
    if not INVOCATION_CHARS.match(name):
        problems.append(
            f"{where}: {name!r} may hold only lower-case letters, spaces, "
            "possessive apostrophes and periods in abbreviations (spell numbers out)"
        )
    rest = ABBREVIATION.sub(" ", POSSESSIVE.sub("", name))
    if "'" in rest:
        problems.append(f"{where}: {name!r} uses an apostrophe that is not possessive")
    if "." in rest:
        problems.append(
            f'{where}: {name!r} uses a period outside a spoken abbreviation such as "a. b. c."'
        )
    said = name.replace(".", " ").split()
    if len(said) < 2:
        problems.append(f"{where}: {name!r} must be two words or more")
    for word in said:
        bare = word.split("'")[0]
        if bare in rules["launch_words"]:
            problems.append(f"{where}: {name!r} contains the launch word {bare!r}")
        if bare in rules["connecting_words"]:
            problems.append(f"{where}: {name!r} contains the connecting word {bare!r}")
        if bare in rules["wake_words"]:
            problems.append(
                f"{where}: {name!r} contains {bare!r}, a wake word or a word "
                "Amazon does not allow in invocation names"
            )
    if len(said) == 2 and any(w in rules["two_word_forbidden"] for w in said):
        problems.append(
            f"{where}: a two-word invocation name cannot include an article or "
            f'"for", "to", "of"; got {name!r}'
        )
    return problems


def sample_key(sample: str, slot_types: Mapping[str, str]) -> str:
    """The sample as Alexa compares it: words, with each slot replaced by its type."""

    def repl(match: re.Match[str]) -> str:
        return " {" + slot_types.get(match.group(1).strip(), match.group(1)).upper() + "} "

    return " ".join(SLOT_RE.sub(repl, sample).lower().split())


def check_sample(sample: str, slots: Mapping[str, str], where: str) -> list[str]:
    """One sample utterance: characters, slot references, spacing."""
    problems: list[str] = []
    if sample != sample.strip() or "  " in sample:
        problems.append(f"{where}: {sample!r} has extra spaces")
    if "}{" in sample:
        problems.append(f"{where}: {sample!r} has two slots with nothing between them")
    literal = SLOT_RE.sub(" ", sample)
    if "{" in literal or "}" in literal:
        problems.append(
            f"{where}: {sample!r} has an unbalanced brace; slots are written {{SlotName}}"
        )
    bad = sorted(set(SAMPLE_BAD_CHAR.findall(literal.replace("{", "").replace("}", ""))))
    if bad:
        problems.append(
            f"{where}: {sample!r} contains {''.join(bad)!r}; samples hold only "
            "letters, spaces, possessive apostrophes and periods in abbreviations "
            "(spell numbers out)"
        )
    rest = ABBREVIATION.sub(" ", IN_WORD_APOSTROPHE.sub("", literal.lower()))
    if "'" in rest:
        problems.append(
            f"{where}: {sample!r} uses an apostrophe outside a word (only "
            'possessives and contractions such as "calf\'s", "don\'t")'
        )
    if "." in rest:
        problems.append(f"{where}: {sample!r} uses a period outside an abbreviation")
    seen: set[str] = set()
    for name in slot_names(sample):
        if name not in slots:
            problems.append(
                f"{where}: {sample!r} refers to slot {{{name}}}, which the intent "
                f"does not define (it defines {sorted(slots) or 'no slots'})"
            )
        if name in seen:
            problems.append(f"{where}: {sample!r} uses slot {{{name}}} twice")
        seen.add(name)
    if not words(SLOT_RE.sub(" ", sample)) and not seen:
        problems.append(f"{where}: the sample is empty")
    return problems


def check_interaction_model(
    data: Any,
    file: str,
    knowledge: Knowledge | None = None,
    handled: Iterable[str] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every problem in one interaction model, each as ``file:place: message``.

    ``knowledge`` (default: the skill's) is used to check slot value ids;
    ``handled`` (default: :data:`skill.handlers.HANDLED_INTENTS`) the intents.
    """
    problems = check_model_schema(data, file, schema)
    if schema is None and not MODEL_SCHEMA_PATH.exists():
        schema_missing, problems = problems, []
    else:
        schema_missing = []
    try:
        language = data["interactionModel"]["languageModel"]
        intents = list(language["intents"])
        types = list(language.get("types", []))
        invocation = language["invocationName"]
    except (KeyError, TypeError):
        return problems or [
            f"{file}:$.interactionModel.languageModel: expected invocationName and intents"
        ]
    if problems:
        return problems  # the checks below assume the shape is right
    problems = schema_missing
    if knowledge is None:
        from skill.knowledge import load_knowledge

        knowledge = load_knowledge()
    if handled is None:
        from skill.handlers import HANDLED_INTENTS

        handled = HANDLED_INTENTS
    handled = set(handled)

    def where(*path: Any) -> str:
        return f"{file}:{_place(*LM, *path)}"

    problems.extend(
        check_invocation_name(str(invocation), where("invocationName"), file_locale(file))
    )

    type_names: dict[str, int] = {}
    for t, slot_type in enumerate(types):
        if slot_type["name"] in type_names:
            problems.append(
                f"{where('types', t, 'name')}: duplicate slot type {slot_type['name']!r}"
            )
        type_names.setdefault(slot_type["name"], t)

    intent_names: dict[str, int] = {}
    used_types: set[str] = set()
    samples_seen: dict[str, tuple[str, str]] = {}
    builtin_phrases = {
        " ".join(words(p)): name
        for name, phrases in phrasebook(file_locale(file)).builtin_phrases.items()
        for p in phrases
        if any(i.get("name") == name for i in intents)
    }
    for i, intent in enumerate(intents):
        name = str(intent["name"])
        if name in intent_names:
            problems.append(f"{where('intents', i, 'name')}: duplicate intent {name!r}")
        intent_names.setdefault(name, i)
        builtin = name.startswith("AMAZON.")
        if not builtin and not NAME_RE.match(name):
            problems.append(
                f"{where('intents', i, 'name')}: custom intent names hold only "
                f"letters and underscores; got {name!r}"
            )
        if name not in handled:
            problems.append(
                f"{where('intents', i, 'name')}: no handler takes {name!r}; add one "
                "to skill/handlers.py or drop the intent"
            )
        slots: dict[str, str] = {}
        for s, slot in enumerate(intent.get("slots", [])):
            slot_name, slot_type = str(slot["name"]), str(slot["type"])
            if slot_name in slots:
                problems.append(
                    f"{where('intents', i, 'slots', s, 'name')}: duplicate slot {slot_name!r}"
                )
            if not NAME_RE.match(slot_name):
                problems.append(
                    f"{where('intents', i, 'slots', s, 'name')}: slot names hold "
                    f"only letters and underscores; got {slot_name!r}"
                )
            slots[slot_name] = slot_type
            used_types.add(slot_type)
            if not slot_type.startswith("AMAZON.") and slot_type not in type_names:
                problems.append(
                    f"{where('intents', i, 'slots', s, 'type')}: slot type "
                    f"{slot_type!r} is not defined under types"
                )
        samples = [str(x) for x in intent.get("samples", [])]
        if not builtin and not samples:
            problems.append(
                f"{where('intents', i, 'samples')}: {name!r} has no sample "
                "utterances, so Alexa can never send it"
            )
        used_slots: set[str] = set()
        own: set[str] = set()
        for j, sample in enumerate(samples):
            place = where("intents", i, "samples", j)
            problems.extend(check_sample(sample, slots, place))
            used_slots.update(slot_names(sample))
            key = sample_key(sample, slots)
            if key in own:
                problems.append(f"{place}: {sample!r} is listed twice in {name}")
                continue
            own.add(key)
            other = samples_seen.get(key)
            if other is not None and other[0] != name:
                problems.append(
                    f"{place}: {sample!r} is also a sample of {other[0]} "
                    f"({other[1]!r}); Alexa cannot tell the two apart"
                )
            samples_seen.setdefault(key, (name, sample))
            phrase_owner = builtin_phrases.get(key)
            if phrase_owner is not None and phrase_owner != name:
                problems.append(
                    f"{place}: {sample!r} is a phrase Alexa already maps to "
                    f"{phrase_owner}; the two intents would compete for it"
                )
        for s, slot_name in enumerate(slots):
            if slot_name not in used_slots and not builtin:
                problems.append(
                    f"{where('intents', i, 'slots', s)}: slot {slot_name!r} is "
                    "never used in a sample utterance, so it is never filled"
                )

    for name in (*REQUIRED_BUILTINS, *SKILL_BUILTINS):
        if name not in intent_names:
            why = (
                "Amazon requires it"
                if name in REQUIRED_BUILTINS
                else "Leg Check relies on it for words that match nothing"
            )
            problems.append(f"{where('intents')}: {name} is missing; {why}")
    for name in sorted(handled - set(intent_names)):
        problems.append(
            f"{where('intents')}: skill/handlers.py handles {name!r}, which the model never sends"
        )

    for t, slot_type in enumerate(types):
        type_name = str(slot_type["name"])
        if type_name not in used_types:
            problems.append(
                f"{where('types', t, 'name')}: slot type {type_name!r} is used by no slot"
            )
        ids: set[str] = set()
        phrases: dict[tuple[str, ...], str] = {}
        for v, value in enumerate(slot_type.get("values", [])):
            vid = value.get("id")
            phrase = value["name"]["value"]
            vplace = where("types", t, "values", v)
            if not vid:
                problems.append(
                    f"{vplace}: the value {phrase!r} has no id; Leg Check reads "
                    "each value's id as a feature id"
                )
            else:
                if vid in ids:
                    problems.append(f"{vplace}.id: duplicate value id {vid!r}")
                ids.add(vid)
                if vid not in knowledge.features:
                    problems.append(
                        f"{vplace}.id: {vid!r} is not a feature in skill/data/knowledge.json"
                    )
            for k, text in enumerate([phrase, *value["name"].get("synonyms", [])]):
                tplace = f"{vplace}.name.value" if k == 0 else f"{vplace}.name.synonyms[{k - 1}]"
                bad = sorted(set(SAMPLE_BAD_CHAR.findall(text)))
                if bad:
                    problems.append(f"{tplace}: {text!r} contains {''.join(bad)!r}")
                said = words(text)
                owner = phrases.get(said)
                if owner is not None and owner != vid:
                    problems.append(
                        f"{tplace}: {text!r} already names the value {owner!r}; "
                        "Alexa cannot tell which one was meant"
                    )
                phrases.setdefault(said, str(vid))
    return problems


# ------------------------------------------------------------------ knowledge


def article_check(
    data: dict[str, Any], override: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[list[str], str | None]:
    """The article cross-check where the article is present (see
    :func:`skill.tools.paths.article_path`): ``(problems, None)``; where it is not, ``([], why
    it was skipped)``, so a clone without the article still validates and packages (the
    knowledge file's sections are then checked only against each other)."""
    path = article_path(data, override, env)
    if not path.is_file():
        return [], (
            f"the article cross-check was skipped: the source article is not at {path} "
            f"(give its path with --article PATH or {ARTICLE_ENV} to run it)"
        )
    return check_article_anchors(data, path), None


def model_feature_ids(models: Mapping[str, Any]) -> set[str]:
    """Feature ids a runner can say: every custom slot value id in the models."""
    out: set[str] = set()
    for data in models.values():
        try:
            for slot_type in data["interactionModel"]["languageModel"].get("types", []):
                out.update(str(v["id"]) for v in slot_type.get("values", []) if v.get("id"))
        except (KeyError, TypeError):
            continue
    return out


def check_reach(
    knowledge: Knowledge,
    sayable: set[str],
    locales: Mapping[str, Mapping[str, Any]],
    file: str = "skill/data/knowledge.json",
) -> list[str]:
    """Causes that cannot rank first, advice never given, danger signs never heard."""
    from skill import triage

    problems: list[str] = []
    askable = {f.id for f in knowledge.features.values() if f.question}
    expressible = sayable | askable
    for i, cause in enumerate(knowledge.causes):
        answers = {
            ev.feature: True
            for ev in cause.evidence
            if ev.present > 0
            and ev.feature in expressible
            and knowledge.features[ev.feature].category != "danger"
        }
        result = triage.assess(answers, (), (), knowledge)
        if result.top.id != cause.id:
            problems.append(
                f"{file}:{_place('causes', i)}: {cause.id!r} cannot rank first from what a "
                f"runner can say or be asked (with {sorted(answers)} it ranks "
                f"{[c.id for c in result.causes].index(cause.id) + 1}, behind "
                f"{result.top.id!r})"
            )
    given: set[str] = set()
    for cause in knowledge.causes:
        given.update(cause.advice)
    for esc in knowledge.escalations:
        given.update(esc.advice)
    for rule in knowledge.history_rules:
        given.update(rule.advice)
    for sign in knowledge.danger_signs:
        given.update(sign.advice)
    for complaint in knowledge.complaints:
        given.update(complaint.advice)
    for advice_id in knowledge.advice:
        if advice_id not in given:
            problems.append(
                f"{file}:$.advice[{list(knowledge.advice).index(advice_id)}]: "
                f"{advice_id!r} is given by no cause or rule"
            )
    for i, sign in enumerate(knowledge.danger_signs):
        heard = [f for f in sign.any_features if f in expressible]
        combined = [
            f for f in sign.any_features if any(c.feature == f for c in knowledge.combinations)
        ]
        if not heard and not combined:
            problems.append(
                f"{file}:{_place('danger_signs', i)}: {sign.id!r} can never be "
                "heard: none of its features is a slot value, a question or "
                "made by a combination rule"
            )
    return problems


def read_locale_files(folder: Path = LOCALES_DIR) -> tuple[dict[str, Any], list[str]]:
    found: dict[str, Any] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        rel = _rel(path)
        try:
            found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(f"{rel}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
    return found, problems


def check_locale_files(
    locales: Mapping[str, Any], knowledge: Knowledge, folder: Path = LOCALES_DIR
) -> list[str]:
    from skill.strings import DEFAULT_LOCALE, check_locale, merge_locale_files

    merged, problems = merge_locale_files(dict(locales), _rel(folder))
    for code, data in sorted(merged.items()):
        rel = _rel(folder / f"{code}.json")
        problems.extend(check_locale(data, knowledge, rel))
        if isinstance(data, dict) and data.get("locale") != code:
            problems.append(f"{rel}:$.locale: expected {code!r}, got {data.get('locale')!r}")
    if DEFAULT_LOCALE not in locales:
        problems.append(f"{_rel(folder)}: the default locale {DEFAULT_LOCALE} is missing")
    return problems


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ everything


@dataclass
class Report:
    """What ``legcheck validate`` found: every problem, and what it checked.

    There are no warnings: a rule either stops a change (a problem) or is not a rule (see
    ``docs/decisions/0009-no-validator-warnings.md``). What was not checked is said in the
    verdict (:meth:`summary`)."""

    problems: list[str] = field(default_factory=list)
    models: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each model's count of intents, samples and slot types, by locale."""
    knowledge: dict[str, int] = field(default_factory=dict)
    """The knowledge file's count of features, causes, danger signs and advice."""
    locales: list[str] = field(default_factory=list)
    article_skipped: str | None = None
    """Why the article cross-check was skipped, if it was (the verdict says so)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            files = {p.split(":", 1)[0] for p in self.problems}
            return (
                f"legcheck validate: {len(self.problems)} problem"
                f"{'s' if len(self.problems) != 1 else ''} in {len(files)} file"
                f"{'s' if len(files) != 1 else ''}"
            )
        skipped = f"; {self.article_skipped}" if self.article_skipped else ""
        models = ", ".join(
            f"{code} ({m['intents']} intents, {m['samples']} samples, {m['types']} slot types)"
            for code, m in sorted(self.models.items())
        )
        counts = self.knowledge
        return (
            f"legcheck validate: OK: interaction model {models}; knowledge "
            f"({counts['features']} features, {counts['causes']} causes, "
            f"{counts['danger_signs']} danger signs, {counts['advice']} advice); locales "
            f"{', '.join(self.locales)}"
            f"{skipped}"
        )


def validate(
    model_paths: Iterable[Path] | None = None,
    knowledge_path: Path = KNOWLEDGE_PATH,
    locales_dir: Path = LOCALES_DIR,
    article: Path | None = None,
) -> Report:
    """Check every interaction model, the knowledge file and the locale files (and the cited
    sections against the source article, where it is: see :func:`article_check`; ``article``
    overrides where)."""
    report = Report()
    paths = sorted(model_paths) if model_paths is not None else sorted(MODELS_DIR.glob("*.json"))
    if not paths:
        report.problems.append(
            f"{_rel(MODELS_DIR)}: no interaction model (expected "
            "LOCALE.json files such as en-US.json)"
        )
    # knowledge first: the models' slot value ids are checked against it
    knowledge_file = _rel(knowledge_path)
    knowledge: Knowledge | None = None
    try:
        knowledge_data = json.loads(knowledge_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        report.problems.append(
            f"{knowledge_file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        )
        knowledge_data = None
    except OSError as exc:
        report.problems.append(f"{knowledge_file}: cannot be read: {exc.strerror}")
        knowledge_data = None
    if knowledge_data is not None:
        knowledge_problems = check_knowledge(knowledge_data, knowledge_file)
        report.problems.extend(knowledge_problems)
        if not knowledge_problems:
            article_problems, skipped = article_check(knowledge_data, article)
            report.problems.extend(article_problems)
            report.article_skipped = skipped
            knowledge = build_knowledge(knowledge_data)
            report.knowledge = {
                "features": len(knowledge.features),
                "causes": len(knowledge.causes),
                "danger_signs": len(knowledge.danger_signs),
                "advice": len(knowledge.advice),
            }

    models: dict[str, Any] = {}
    for path in paths:
        rel = _rel(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            report.problems.append(f"{rel}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
            continue
        except OSError as exc:
            report.problems.append(f"{rel}: cannot be read: {exc.strerror}")
            continue
        if not LOCALE_RE.match(path.stem):
            report.problems.append(
                f"{rel}: the file name should be the model's locale, such as en-US.json"
            )
        models[path.stem] = data
        if knowledge is not None:
            report.problems.extend(check_interaction_model(data, rel, knowledge))
            lexicon_problems, lexicon_data = _lexicon_for(path.stem, knowledge)
            report.problems.extend(lexicon_problems)
            if lexicon_data is not None:
                report.problems.extend(check_words(data, rel, lexicon_data, knowledge))
        try:
            language = data["interactionModel"]["languageModel"]
            report.models[path.stem] = {
                "intents": len(language["intents"]),
                "samples": sum(len(i.get("samples", [])) for i in language["intents"]),
                "types": len(language.get("types", [])),
            }
        except (KeyError, TypeError):
            pass

    if model_paths is None:
        report.problems.extend(check_locale_models())
    locales, locale_problems = read_locale_files(locales_dir)
    report.problems.extend(locale_problems)
    report.problems.extend(_numbers_problems())
    report.locales = sorted(locales)
    if knowledge is not None:
        report.problems.extend(check_locale_files(locales, knowledge, locales_dir))
        report.problems.extend(
            check_reach(knowledge, model_feature_ids(models), locales, knowledge_file)
        )
    for code in sorted(locales):
        if LOCALE_RE.match(code) and code not in models and model_paths is None:
            report.problems.append(
                f"{_rel(locales_dir / (code + '.json'))}: strings for "
                f"{code}, but no interaction_model/{code}.json; add "
                f"interaction_model/overlays/{code}.json and run "
                "`legcheck model sync`"
            )
    languages = {code.split("-")[0] for code in locales}
    for code in models:
        if code.split("-")[0] not in languages:
            report.problems.append(
                f"{_rel(MODELS_DIR / (code + '.json'))}: no locale strings "
                f"for {code} (nor its language) in {_rel(locales_dir)}"
            )
    return report


# ------------------------------------------------------------------ words and carriers


def check_words(
    data: Any, file: str, lexicon_data: Mapping[str, Any], knowledge: Knowledge
) -> list[str]:
    """Problems with what a model's samples and types say.

    * The slot types must be the lexicon's (``legcheck model sync`` writes them).
    * A sample's carrier words never reach the skill, so they must mean nothing the skill
      needs: no symptom, place or time ("... after my run"), and no negation, except in
      an intent whose handler restores its carrier word (``restored_carriers``).

    Slots side by side ("{Sensation} {BodyPart}") are allowed: where Alexa splits the words
    does not matter to the skill, which reads the slots joined either way round (see
    ``docs/decisions/0009-no-validator-warnings.md``).
    """
    from skill.interpret import find_phrases
    from skill.lexicon import build_lexicon, tokens

    problems: list[str] = []
    try:
        language = data["interactionModel"]["languageModel"]
    except (KeyError, TypeError):
        return problems
    if language.get("types", []) != lexicon_types(lexicon_data):
        problems.append(
            f"{file}:{_place(*LM, 'types')}: the slot types differ from "
            "skill/data/lexicon; run `legcheck model sync` to write them"
        )
    lex = build_lexicon(dict(lexicon_data), knowledge)
    restored = set(lexicon_data.get("restored_carriers", {}))
    cues = {" ".join(c) for c in lex.cues}
    for i, intent in enumerate(language.get("intents", [])):
        name = str(intent.get("name", ""))
        if name.startswith("AMAZON.") or not intent.get("slots"):
            continue
        for j, sample in enumerate(intent.get("samples", [])):
            place = f"{file}:{_place(*LM, 'intents', i, 'samples', j)}"
            for r, run in enumerate(SLOT_RE.split(sample)[::2]):
                toks = tokens(run)
                stems = [lex.stem(t) for t in toks if t not in lex.fillers]
                said = sorted({m.feature for m in find_phrases(stems, lex, range(len(stems)))})
                if said:
                    problems.append(
                        f"{place}: {sample!r}: the carrier words {run.strip()!r} "
                        f"mean {', '.join(said)}, which the skill never receives; "
                        "put them in a slot or drop the sample"
                    )
                reply = next(
                    (kind for phrase, kind in lex.replies if tuple(toks[: len(phrase)]) == phrase),
                    None,
                )
                if name not in restored and reply is not None and r == 0:
                    problems.append(
                        f"{place}: {sample!r}: the carrier words {run.strip()!r} "
                        f"answer {reply}, which the skill never hears; use an "
                        "intent that restores its carrier word"
                    )
                elif name not in restored and any(
                    " ".join(toks[k : k + len(c.split())]) == c
                    for c in cues
                    for k in range(len(toks))
                ):
                    problems.append(
                        f"{place}: {sample!r}: the carrier words {run.strip()!r} "
                        "negate what follows, and the skill never hears them; "
                        "use an intent that restores its carrier word"
                    )
    return problems


def _lexicon_for(locale: str, knowledge: Knowledge) -> tuple[list[str], dict[str, Any] | None]:
    """The lexicon for a model's language, checked."""
    from skill.errors import DataError
    from skill.lexicon import LEXICON_DIR, check_lexicon, read_lexicon_data

    language = locale.split("-")[0]
    file = _rel(LEXICON_DIR / f"{language}.json")
    try:
        data = read_lexicon_data(language)
    except DataError as exc:
        return list(exc.problems), None
    problems = check_lexicon(data, knowledge, file)
    return problems, None if problems else data


# ------------------------------------------------------------------ locale models


def _numbers_problems() -> list[str]:
    """The emergency numbers of countries without a locale file (see skill.strings)."""
    from skill.strings import NUMBERS_PATH, check_numbers

    try:
        data = json.loads(NUMBERS_PATH.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{_rel(NUMBERS_PATH)}: cannot be read: {exc}"]
    return check_numbers(data, _rel(NUMBERS_PATH))


def check_locale_models(models_dir: Path = MODELS_DIR, folder: Path = OVERLAYS_DIR) -> list[str]:
    """Every market's model is what ``legcheck model sync`` writes from the source model and
    its overlay, so the five cannot drift; every overlay names intents the source has."""
    from skill.lexicon import read_lexicon_data

    problems: list[str] = []
    source_path = models_dir / f"{SOURCE_LOCALE}.json"
    if not source_path.exists():
        return [f"{_rel(source_path)}: the source model is missing"]
    source = json.loads(source_path.read_text(encoding="utf-8"))
    names = {i["name"] for i in source["interactionModel"]["languageModel"]["intents"]}
    for code, overlay in read_overlays(folder).items():
        place = _rel(folder / f"{code}.json")
        for name in overlay.get("samples", {}):
            if name not in names:
                problems.append(f"{place}:$.samples.{name}: the source model has no such intent")
        path = models_dir / f"{code}.json"
        want = locale_model(source, overlay, read_lexicon_data(code.split("-")[0]))
        if not path.exists():
            problems.append(
                f"{_rel(path)}: missing; run `legcheck model sync` to write it "
                f"from {SOURCE_LOCALE}.json and {place}"
            )
        elif json.loads(path.read_text(encoding="utf-8")) != want:
            problems.append(
                f"{_rel(path)}: differs from {SOURCE_LOCALE}.json with {place}; "
                "edit those and run `legcheck model sync`"
            )
    return problems
