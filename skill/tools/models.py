"""The interaction models: where they are, how they are read and written, and their grammar.

The single home of what the validator, the simulator and the packager know of Alexa's
interaction model format (``interaction_model/<locale>.json``):

* where the models are (:data:`MODELS_DIR`, :func:`model_path`) and reading them
  (:func:`read_model`, :func:`read_models`);
* the phrasebook (:func:`phrasebook`): how speakers of a language talk to Alexa itself,
  from ``skill/tools/simulator/data/<lang>.json``;
* the slot grammar of sample utterances: their words (:func:`words`) and ``{Slot}``
  references (:data:`SLOT_RE`, :func:`sample_parts`, :func:`slot_names`);
* the model writers behind ``legcheck model sync`` (:func:`sync_models`): the custom slot
  types written from the lexicon, and each market's model written from the source model and
  its overlay (``interaction_model/overlays/<locale>.json``).

How the simulator matches what was said against the samples is its own
(:mod:`skill.tools.simulator.nlu`); what the validator requires of a model is its own
(:mod:`skill.tools.validate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from skill.errors import DataError
from skill.knowledge import read_data_file
from skill.tools.paths import REPO_ROOT

MODELS_DIR = REPO_ROOT / "interaction_model"
"""The interaction models, one ``<locale>.json`` a market (sub-folders hold no model)."""
MODEL_SCHEMA_PATH = MODELS_DIR / "schema" / "interaction-model.schema.json"
"""A JSON Schema of Amazon's interaction model format."""
OVERLAYS_DIR = MODELS_DIR / "overlays"
"""Each market's own samples, added to the source model's (``<locale>.json``)."""
SOURCE_LOCALE = "en-US"
"""The model every market's model is written from."""
PHRASEBOOK_DIR = Path(__file__).parent / "simulator" / "data"
"""The phrasebooks, one ``<lang>.json`` a language."""

SLOT_RE = re.compile(r"\{([^{}]*)\}")
"""A slot reference in a sample utterance, ``{SlotName}``; group 1 is the name as written."""
WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
"""A word as Alexa hears it: letters and digits, with in-word apostrophes ("calf's")."""


# ------------------------------------------------------------------ reading


def model_path(locale: str) -> Path:
    """The interaction model file of a locale (``interaction_model/en-US.json``)."""
    return MODELS_DIR / f"{locale}.json"


def model_locales(folder: Path = MODELS_DIR) -> list[str]:
    """The markets with an interaction model in ``folder``, sorted (``en-AU``, ...)."""
    return sorted(path.stem for path in folder.glob("*.json"))


def read_model(path: Path) -> dict[str, Any]:
    """One interaction model file's data; :class:`DataError` says why it cannot be read."""
    return read_data_file(path, "the interaction model is missing")


def read_models(folder: Path = MODELS_DIR) -> dict[str, dict[str, Any]]:
    """Every interaction model in the folder, by locale (the file name); :class:`DataError`
    when one cannot be read or there is none."""
    models = {path.stem: read_model(path) for path in sorted(folder.glob("*.json"))}
    if not models:
        raise DataError([f"{folder}: no interaction model (expected LOCALE.json files)"])
    return models


def read_overlays(folder: Path = OVERLAYS_DIR) -> dict[str, dict[str, Any]]:
    """Every market's overlay, by locale: the samples it adds to the source model's."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
    }


# ------------------------------------------------------------------ the phrasebook


@dataclass(frozen=True)
class Phrasebook:
    """How speakers of one language talk to Alexa itself
    (``skill/tools/simulator/data/<lang>.json``): Amazon's common phrasings of the built-in
    intents, launch and one-shot phrases, polite openings, the words that end a session,
    the words an invocation name may not hold."""

    builtin_phrases: dict[str, tuple[str, ...]]
    launch_verbs: tuple[tuple[str, ...], ...]
    ask_verbs: tuple[tuple[str, ...], ...]
    ask_connectors: tuple[str, ...]
    launch_connectors: tuple[str, ...]
    trailing_connectors: tuple[str, ...]
    filler_prefixes: tuple[tuple[str, ...], ...]
    session_end_words: tuple[tuple[str, ...], ...]
    invocation: dict[str, frozenset[str]]


def phrasebook(locale: str = "en-US") -> Phrasebook:
    """The phrasebook of a locale's language (English when there is none)."""
    language = locale.split("-")[0].lower() if isinstance(locale, str) else "en"
    return _phrasebook(language if (PHRASEBOOK_DIR / f"{language}.json").exists() else "en")


@lru_cache(maxsize=8)
def _phrasebook(language: str) -> Phrasebook:
    data = json.loads((PHRASEBOOK_DIR / f"{language}.json").read_text(encoding="utf-8"))

    def split(items: list[str]) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(p.split()) for p in items)

    return Phrasebook(
        builtin_phrases={k: tuple(v) for k, v in data["builtin_phrases"].items()},
        launch_verbs=split(data["launch_verbs"]),
        ask_verbs=split(data["ask_verbs"]),
        ask_connectors=tuple(data["ask_connectors"]),
        launch_connectors=tuple(data["launch_connectors"]),
        trailing_connectors=tuple(data["trailing_connectors"]),
        filler_prefixes=split(data["filler_prefixes"]),
        session_end_words=split(data["session_end_words"]),
        invocation={k: frozenset(v) for k, v in data["invocation"].items()},
    )


# ------------------------------------------------------------------ the slot grammar


def words(text: str) -> tuple[str, ...]:
    """Normalise what was typed: lower case, curly quotes straightened, punctuation gone."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return tuple(WORD_RE.findall(text))


@dataclass(frozen=True)
class SamplePart:
    """One piece of a sample utterance: a literal word, or a slot reference (``slot`` set)."""

    word: str = ""
    slot: str = ""


def sample_parts(sample: str) -> tuple[SamplePart, ...]:
    """A sample utterance's words and slot references, in order
    (``"in my {BodyPart}"``: ``in``, ``my``, the slot ``BodyPart``)."""
    parts: list[SamplePart] = []
    pos = 0
    for match in SLOT_RE.finditer(sample):
        parts.extend(SamplePart(word=w) for w in words(sample[pos : match.start()]))
        parts.append(SamplePart(slot=match.group(1).strip()))
        pos = match.end()
    parts.extend(SamplePart(word=w) for w in words(sample[pos:]))
    return tuple(parts)


def slot_names(sample: str) -> list[str]:
    """The slots a sample utterance refers to, in order, each as often as it is written."""
    return [match.group(1).strip() for match in SLOT_RE.finditer(sample)]


# ------------------------------------------------------------------ writing


def lexicon_types(lexicon_data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The custom slot types an interaction model should hold, written from the lexicon."""
    out = []
    for type_name, ids in lexicon_data["slot_types"].items():
        values = []
        for vid in ids:
            entry = (
                lexicon_data["replies"][vid]
                if vid in lexicon_data["replies"]
                else lexicon_data["features"][vid]
            )
            values.append(
                {"id": vid, "name": {"value": entry["name"], "synonyms": list(entry["synonyms"])}}
            )
        out.append({"name": type_name, "values": values})
    return out


def sync_model_types(data: dict[str, Any], lexicon_data: Mapping[str, Any]) -> dict[str, Any]:
    """The model with its custom slot types rewritten from the lexicon (``legcheck model
    sync``), so the words Alexa resolves and the words the interpreter reads cannot drift."""
    data["interactionModel"]["languageModel"]["types"] = lexicon_types(lexicon_data)
    return data


def locale_model(
    source: Mapping[str, Any], overlay: Mapping[str, Any], lexicon_data: Mapping[str, Any]
) -> dict[str, Any]:
    """A market's model: the source model, the overlay's own samples added to its intents,
    the slot types written from the lexicon."""
    data = json.loads(json.dumps(source))
    for intent in data["interactionModel"]["languageModel"]["intents"]:
        extra = overlay.get("samples", {}).get(intent["name"], [])
        if extra:
            intent["samples"] = [
                *intent.get("samples", []),
                *(x for x in extra if x not in intent.get("samples", [])),
            ]
    return sync_model_types(data, lexicon_data)


def write_model(path: Path, data: Mapping[str, Any]) -> None:
    """Write a model file as the repository keeps them: two-space indents, UTF-8, a final
    newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def sync_models(paths: Sequence[Path] = ()) -> Iterator[str]:
    """``legcheck model sync``: rewrite the custom slot types of the models at ``paths`` from
    their language's lexicon; with no paths, those of the source model (:data:`SOURCE_LOCALE`),
    then write each market's model from it and the market's overlay. Says what it did, a line
    a file, as it goes."""
    from skill.lexicon import read_lexicon_data

    for path in paths or [model_path(SOURCE_LOCALE)]:
        data = read_model(path)
        before = json.dumps(data, sort_keys=True)
        sync_model_types(data, read_lexicon_data(path.stem.split("-")[0]))
        changed = json.dumps(data, sort_keys=True) != before
        if changed:
            write_model(path, data)
        yield f"{path}: slot types {'written' if changed else 'already in sync'}"
    if not paths:
        source = read_model(model_path(SOURCE_LOCALE))
        for code, overlay in read_overlays().items():
            target = model_path(code)
            write_model(
                target, locale_model(source, overlay, read_lexicon_data(code.split("-")[0]))
            )
            yield f"{target}: written from {SOURCE_LOCALE}.json and overlays/{code}.json"
