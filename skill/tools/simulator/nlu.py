"""Resolve typed words against an Alexa interaction model, the way Alexa's NLU does.

A small, pure library: no SDK, no I/O beyond reading the model file and the language's
phrasebook (both through :mod:`skill.tools.models`, which also holds the slot grammar the
samples are read by; the matching is this module's).

* Each sample utterance is compiled to a regular expression over normalised
  words (lower case, punctuation dropped) in which ``{Slot}`` captures one or
  more whole words. Among the samples that match, the most specific wins: the
  one that accounts for the most words, as literal words or as slot values
  that resolve to a value of their type (so "my calf is hot and swollen" is
  the danger sign of that name, not a body part with unknown words); then the
  most literal words matched; then the most slot values resolved.
* Custom slot values are resolved against the type's values and synonyms:
  ``ER_SUCCESS_MATCH`` with the value's id and canonical name, or
  ``ER_SUCCESS_NO_MATCH`` with the words heard kept as the slot's value. A
  sample made only of slots matches only when one of its slots resolves, or the
  words share a content word with its slot types' values, so gibberish goes to
  ``AMAZON.FallbackIntent`` instead of a catch-all intent.
* Built-in intents declared in the model understand Amazon's common
  phrasings ("help", "yeah", "nope", "say that again", "go home", ...; the
  phrasebook's) even when the model lists no samples for them.
* Outside a session only phrases with the invocation name reach the skill:
  "open leg check" is a ``LaunchRequest``; "ask leg check my calves are
  twitching" is an ``IntentRequest`` in a new session. Anything else is
  answered by Alexa herself (``request_type`` is ``None``).
* In a session, "exit" and "quit" close it with a ``SessionEndedRequest``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from skill.errors import DataError
from skill.tools.envelopes import SlotValue
from skill.tools.models import SamplePart, phrasebook, read_model, sample_parts, words

FALLBACK_INTENT = "AMAZON.FallbackIntent"
COMMON_WORDS = frozenset(
    {
        "like",
        "feel",
        "feels",
        "feeling",
        "have",
        "it's",
        "they",
        "there",
        "that",
        "this",
        "what",
        "when",
        "with",
        "from",
        "just",
        "really",
        "very",
        "after",
        "before",
        "over",
        "into",
        "about",
        "can't",
        "cannot",
        "don't",
        "won't",
        "some",
        "time",
        "every",
        "again",
        "back",
        "going",
        "goes",
        "gone",
        "went",
        "keep",
        "keeps",
        "still",
        "long",
        "lot",
        "much",
        "your",
        "mine",
    }
)


@dataclass(frozen=True)
class TypeValue:
    id: str
    name: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotType:
    name: str
    values: tuple[TypeValue, ...] = ()

    @property
    def custom(self) -> bool:
        return not self.name.startswith("AMAZON.")

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The content words of the type's values and synonyms (no small words)."""
        out = {w for phrase in self.lookup for w in phrase if len(w) > 3}
        return frozenset(out - COMMON_WORDS)

    @cached_property
    def lookup(self) -> dict[tuple[str, ...], TypeValue]:
        table: dict[tuple[str, ...], TypeValue] = {}
        for value in self.values:
            for phrase in (value.name, *value.synonyms):
                table.setdefault(words(phrase), value)
        return table


@dataclass(frozen=True)
class Sample:
    intent: str
    text: str
    parts: tuple[SamplePart, ...]
    builtin: bool = False

    @property
    def literal_count(self) -> int:
        return sum(1 for p in self.parts if not p.slot)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        pieces = []
        for part in self.parts:
            pieces.append(r"\S+(?: \S+)*?" if part.slot else re.escape(part.word))
        return re.compile(" ".join(pieces))


def parse_sample(intent: str, text: str, builtin: bool = False) -> Sample:
    """A sample utterance of ``intent`` (or a built-in phrasing, ``builtin``), read by the
    slot grammar of :mod:`skill.tools.models`, ready to match."""
    return Sample(intent, text, sample_parts(text), builtin)


@dataclass(frozen=True)
class Intent:
    name: str
    slots: dict[str, str]
    """Slot name to slot type name, in the model's order."""
    samples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """What Alexa would send the skill for one utterance.

    ``request_type`` is ``LaunchRequest``, ``IntentRequest`` or
    ``SessionEndedRequest``, or ``None`` when Alexa would not send the words
    to the skill at all (``note`` says why).
    """

    request_type: str | None
    intent: str | None = None
    slots: tuple[SlotValue, ...] = ()
    slot_names: tuple[str, ...] = ()
    new_session: bool = False
    sample: str | None = None
    note: str = ""

    def slot(self, name: str) -> SlotValue | None:
        for value in self.slots:
            if value.name == name:
                return value
        return None

    def describe(self) -> str:
        """One line for a console: request type, intent, sample and slots."""
        if self.request_type is None:
            return f"not sent to the skill: {self.note}"
        out = self.request_type
        if self.intent:
            out += f" {self.intent}"
        for value in self.slots:
            if not value.custom:
                out += f" {value.name}={value.value!r}"
            elif value.resolved_id is None:
                out += f" {value.name}={value.value!r} (ER_SUCCESS_NO_MATCH)"
            else:
                out += f" {value.name}={value.value!r}->{value.resolved_id}"
        if self.new_session:
            out += " [new session]"
        if self.sample is not None:
            out += f"  <- {self.sample!r}"
        return out


@dataclass(frozen=True)
class _Candidate:
    sample: Sample
    slots: tuple[SlotValue, ...]
    score: tuple[int, int, int, int]


@dataclass
class InteractionModel:
    """An interaction model for one locale, ready to resolve utterances."""

    invocation_name: str
    intents: dict[str, Intent]
    types: dict[str, SlotType]
    locale: str = "en-US"
    source: str = "<model>"
    samples: list[Sample] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> InteractionModel:
        path = Path(path)
        return cls.from_dict(read_model(path), locale=path.stem, source=str(path))

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], locale: str = "en-US", source: str = "<model>"
    ) -> InteractionModel:
        try:
            language = data["interactionModel"]["languageModel"]
            invocation = str(language["invocationName"])
            intents: dict[str, Intent] = {}
            for item in language.get("intents", []):
                slots = {str(s["name"]): str(s["type"]) for s in item.get("slots", [])}
                intents[str(item["name"])] = Intent(
                    str(item["name"]), slots, tuple(str(s) for s in item.get("samples", []))
                )
            types: dict[str, SlotType] = {}
            for item in language.get("types", []):
                values = tuple(
                    TypeValue(
                        str(v.get("id") or v["name"]["value"]),
                        str(v["name"]["value"]),
                        tuple(str(s) for s in v["name"].get("synonyms", [])),
                    )
                    for v in item.get("values", [])
                )
                types[str(item["name"])] = SlotType(str(item["name"]), values)
        except (KeyError, TypeError) as exc:
            raise DataError(
                [f"{source}: not an interaction model: missing or malformed {exc}"]
            ) from exc
        model = cls(invocation, intents, types, locale, source)
        model.samples = model._compile()
        return model

    # ------------------------------------------------------------ compiling

    def _compile(self) -> list[Sample]:
        samples: list[Sample] = []
        for intent in self.intents.values():
            book = phrasebook(self.locale).builtin_phrases
            if intent.name in book:
                samples.extend(
                    parse_sample(intent.name, p, builtin=True) for p in book[intent.name]
                )
            samples.extend(parse_sample(intent.name, s) for s in intent.samples)
        return samples

    @property
    def invocation_words(self) -> tuple[str, ...]:
        return words(self.invocation_name)

    def slot_type(self, intent: str, slot: str) -> SlotType:
        type_name = self.intents[intent].slots.get(slot, "")
        return self.types.get(type_name, SlotType(type_name))

    # ------------------------------------------------------------ resolving

    def resolve(self, utterance: str, in_session: bool) -> Resolution:
        """What Alexa would send the skill when the user says ``utterance``.

        Polite openings ("alexa", "please", "can you", "i want to") are
        dropped when the words do not resolve with them.
        """
        said = words(utterance)
        if not said:
            return Resolution(None, note="nothing was said")
        first = self._resolve_words(said, in_session)
        trimmed = _strip_fillers(said, phrasebook(self.locale).filler_prefixes)
        if trimmed == said or (first.request_type is not None and first.intent != FALLBACK_INTENT):
            return first
        second = self._resolve_words(trimmed, in_session)
        if second.request_type is None or second.intent == FALLBACK_INTENT:
            return first
        return second

    def _resolve_words(self, said: tuple[str, ...], in_session: bool) -> Resolution:
        if in_session and said in phrasebook(self.locale).session_end_words:
            return Resolution("SessionEndedRequest", note="the user ended the session")
        invoked = self._invocation(said)
        if invoked is not None:
            return invoked
        if not in_session:
            return Resolution(
                None,
                note=(
                    "no session is open and the words do not name the skill, so Alexa "
                    f'would answer herself; say "open {self.invocation_name}" or '
                    f'"ask {self.invocation_name} ..."'
                ),
            )
        return self.match_intent(said)

    def match_intent(self, said: Sequence[str], new_session: bool = False) -> Resolution:
        """The best intent for words said inside a session (or after the invocation)."""
        best = self._best(tuple(said))
        if best is None:
            if FALLBACK_INTENT in self.intents:
                return Resolution(
                    "IntentRequest",
                    FALLBACK_INTENT,
                    slot_names=tuple(self.intents[FALLBACK_INTENT].slots),
                    new_session=new_session,
                    note="no sample matched",
                )
            return Resolution(
                None,
                note="no sample matched and the model has no "
                f"{FALLBACK_INTENT}, so Alexa would force some other intent",
            )
        intent = self.intents[best.sample.intent]
        return Resolution(
            "IntentRequest",
            intent.name,
            best.slots,
            tuple(intent.slots),
            new_session=new_session,
            sample=None if best.sample.builtin else best.sample.text,
        )

    def _invocation(self, said: tuple[str, ...]) -> Resolution | None:
        name = self.invocation_words
        for start in range(len(said) - len(name) + 1):
            if said[start : start + len(name)] != name:
                continue
            before = said[:start]
            if before[-1:] == ("the",):
                before = before[:-1]
            after = said[start + len(name) :]
            book = phrasebook(self.locale)
            verb = before if before in book.launch_verbs else None
            if verb is not None and not after:
                return Resolution(
                    "LaunchRequest", new_session=True, note=f"launch phrase {' '.join(said)!r}"
                )
            if verb is not None:
                connectors = (
                    book.ask_connectors if verb in book.ask_verbs else book.launch_connectors
                )
                return self._one_shot(after, connectors)
            if not after and len(before) > 1 and before[-1] in book.trailing_connectors:
                return self.match_intent(before[:-1], new_session=True)
        return None

    def _one_shot(self, after: tuple[str, ...], connectors: Sequence[str]) -> Resolution:
        tries = [after]
        if after[0] in connectors and len(after) > 1:
            tries.insert(0, after[1:])
        # a polite opening after the name is dropped too ("ask leg check please save ..."),
        # when the words do not resolve with it
        fillers = phrasebook(self.locale).filler_prefixes
        tries += [
            t for t in (_strip_fillers(t, fillers) for t in list(tries)) if t and t not in tries
        ]
        results = [self.match_intent(t, new_session=True) for t in tries]
        for result in results:
            if result.intent != FALLBACK_INTENT:
                return result
        return results[0]

    def _best(self, said: tuple[str, ...]) -> _Candidate | None:
        text = " ".join(said)
        best: _Candidate | None = None
        for order, sample in enumerate(self.samples):
            if sample.regex.fullmatch(text) is None:
                continue
            for slots, resolved, unresolved_words in self._alignments(sample, said):
                if sample.literal_count == 0 and resolved == 0 and not self._familiar(sample, said):
                    # slots alone match only words their types know: one slot must
                    # resolve ("swollen hot calf" is a body part with other words), or
                    # a word of the slot's values must be among them, as Alexa's slot
                    # matching is lenient ("sudden weakness down my whole right side")
                    continue
                score = (-unresolved_words, sample.literal_count, resolved, -order)
                if best is None or score > best.score:
                    best = _Candidate(sample, slots, score)
        return best

    def _familiar(self, sample: Sample, said: tuple[str, ...]) -> bool:
        """Whether the words share a content word with the values of the sample's slots."""
        known: set[str] = set()
        for part in sample.parts:
            if part.slot:
                known |= self.slot_type(sample.intent, part.slot).vocabulary
        # "walking's okay": a word with "'s" on it is still that word
        return bool(known.intersection(said)) or any(
            w.endswith("'s") and w[:-2] in known for w in said
        )

    def _alignments(
        self, sample: Sample, said: tuple[str, ...]
    ) -> Iterator[tuple[tuple[SlotValue, ...], int, int]]:
        """Every way to fill the sample's slots with the words said."""

        def walk(
            i: int, j: int, filled: tuple[tuple[str, tuple[str, ...]], ...]
        ) -> Iterator[tuple[tuple[str, tuple[str, ...]], ...]]:
            if i == len(sample.parts):
                if j == len(said):
                    yield filled
                return
            part = sample.parts[i]
            if not part.slot:
                if j < len(said) and said[j] == part.word:
                    yield from walk(i + 1, j + 1, filled)
                return
            for end in range(j + 1, len(said) + 1):
                yield from walk(i + 1, end, (*filled, (part.slot, said[j:end])))

        for filled in walk(0, 0, ()):
            values: list[SlotValue] = []
            resolved = unresolved = 0
            for slot_name, heard in filled:
                value = self._slot_value(sample.intent, slot_name, heard)
                values.append(value)
                if value.custom and value.resolved_id is None:
                    unresolved += len(heard)
                else:
                    resolved += 1  # a custom value matched, or a built-in type's words
            yield tuple(values), resolved, unresolved

    def _slot_value(self, intent: str, slot_name: str, heard: tuple[str, ...]) -> SlotValue:
        slot_type = self.slot_type(intent, slot_name)
        text = " ".join(heard)
        if not slot_type.custom:
            return SlotValue(slot_name, text, slot_type=slot_type.name, custom=False)
        match = slot_type.lookup.get(heard)
        if match is None:
            return SlotValue(slot_name, text, slot_type=slot_type.name)
        return SlotValue(slot_name, text, match.id, match.name, slot_type=slot_type.name)


def _strip_fillers(said: tuple[str, ...], fillers: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    changed = True
    while changed and said:
        changed = False
        for filler in fillers:
            if said[: len(filler)] == filler and len(said) > len(filler):
                said = said[len(filler) :]
                changed = True
    return said
