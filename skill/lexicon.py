"""The lexicon: a language's words, read from ``skill/data/lexicon/<language>.json``, built
for the phrase interpreter (:mod:`skill.interpret`) and checked.

Everything the interpreter knows of a language is data: the phrases of each feature of the
knowledge file, the replies, negation, clauses, durations and numbers, how words are spelled
one way (``spelling``) and the Snowball stemmer that gives word forms (``stemmer``). A new
language is a lexicon file, a stemmer name and locale strings, with no code.

:func:`check_lexicon` lists every problem of a lexicon file (``legcheck validate`` runs it);
:func:`load_lexicon` builds a language's lexicon once per process; :func:`tokens` cuts text
into the words the lexicon is matched against.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from skill.errors import DataError
from skill.knowledge import DATA_DIR, Knowledge, load_knowledge, read_data_file

LEXICON_DIR = DATA_DIR / "lexicon"
DEFAULT_LANGUAGE = "en"

PUNCTUATION_MARKS = ",.;:!?"
PUNCTUATION = frozenset(PUNCTUATION_MARKS)
"""Marks that are tokens of their own: they end a clause, and are no word."""
REPLY_KINDS = ("yes", "no", "unsure")
"""The kinds of reply (``replies`` in the lexicon), the reply slot's value ids."""


class Spelling(NamedTuple):
    """How a language writes its words one way before they are read (``spelling`` in the
    lexicon; see :func:`tokens`)."""

    pattern: re.Pattern[str]
    """A word (the lexicon's ``word_pattern``) or a punctuation mark."""
    contractions: dict[str, str]
    dropped_endings: tuple[str, ...]
    keep_ending: frozenset[str]
    joined: dict[str, list[tuple[tuple[str, ...], str]]]
    """Phrases that become one word, with that word, by their last word, longest first."""


class Phrase(NamedTuple):
    tokens: tuple[str, ...]
    feature: str
    present: bool
    raw: tuple[str, ...] = ()
    """The words as written, when fillers were dropped from a longer phrase."""


class Sense(NamedTuple):
    """A word read in its other sense, decided by its neighbours (``senses`` in the lexicon):
    a phrase matched for ``feature`` means ``becomes`` instead (``None``: nothing)."""

    id: str
    feature: str
    words: frozenset[str]
    near: frozenset[str]
    window: int
    unless_near: frozenset[str]
    unless_features: frozenset[str]
    becomes: str | None


@dataclass(eq=False, repr=False)  # one per language, built once: only __init__ is needed
class Lexicon:
    language: str
    stemmer: Any
    fillers: frozenset[str]
    spelling: Spelling
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    """Phrases by their first stem, fillers dropped."""
    raw_phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    """Phrases matched with their small words ("all the time", "it's back"): without
    them they would be one common word."""
    replies: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    """Phrases that open an answer with a yes, no or "not sure", longest first."""
    whole_replies: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Phrases that are a yes, no or "not sure" only when nothing else is said ("it does")."""
    all_replies: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    replies_by_word: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    lead_fillers: frozenset[str] = frozenset()
    """Words said before a reply ("um, yeah"), passed over there."""
    stems: dict[str, str] = field(default_factory=dict)
    knowledge: Knowledge | None = None
    """The knowledge the lexicon was built for (its feature ids)."""
    short_clauses: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = field(
        default_factory=dict
    )
    """Short clauses already read, with what they state and deny (see
    :func:`skill.interpret.read_clause`)."""
    cues_at: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    neutral_at: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """``cues`` and ``neutral`` by their first stem, in the same order."""
    cues: list[tuple[str, ...]] = field(default_factory=list)
    window: int = 5
    scope_breaks: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    and_words: frozenset[str] = frozenset()
    and_before: frozenset[str] = frozenset()
    side_words: frozenset[str] = frozenset()
    skip_words: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    durations: dict[str, Any] = field(default_factory=dict)
    not_number_words: frozenset[str] = frozenset()
    skipped_before_unit: frozenset[str] = frozenset()
    categories: dict[str, str] = field(default_factory=dict)
    keeps_parts: frozenset[str] = frozenset()
    fine_words: frozenset[str] = frozenset()
    run_context: dict[str, Any] = field(default_factory=dict)
    restored: dict[str, str] = field(default_factory=dict)
    """Intent name to the carrier word its samples open with and the words still mean
    ("no" for NoDescribeIntent: "no {Description}")."""
    list_words: frozenset[str] = frozenset()
    pronouns: frozenset[str] = frozenset()
    neutral: list[tuple[str, ...]] = field(default_factory=list)
    clause_starts: frozenset[str] = frozenset()
    ends: frozenset[str] = frozenset()
    """Words that end a statement of a symptom ("sore", "fine"): a new subject after one
    starts a new clause even without a comma."""
    fine_distance: int = 2
    comparatives: frozenset[str] = frozenset()
    comparative_feature: str = ""
    swallowing: frozenset[str] = frozenset()
    """Features whose phrases take in the words inside them ("stitch under my ribs" is a
    stitch, not the chest; "hot day" is the weather, not a hot calf)."""
    senses: dict[str, list[Sense]] = field(default_factory=dict)
    """Sense rules by the feature they re-read."""
    temperature: dict[str, Any] = field(default_factory=dict)
    request_lead: frozenset[str] = frozenset()
    request_trail: frozenset[str] = frozenset()
    openings: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """Openings of requests the skill cannot serve ("how far", "play"), by their first word."""
    requests: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Whole utterances that are a request to stop or to repeat."""
    out_of_scope: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """Phrases of requests the skill cannot serve, by their first word."""

    def stem(self, token: str) -> str:
        cached = self.stems.get(token)
        if cached is not None:
            return cached
        out: str = token if "'" in token or not token.isalpha() else self.stemmer.stemWord(token)
        if len(self.stems) < 20_000:  # runners use a few thousand words; the cache stays small
            self.stems[token] = out
        return out

    def key(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """A phrase as the matcher sees it: fillers dropped, each word stemmed."""
        return tuple(self.stem(t) for t in tokens if t not in self.fillers)


def tokens(text: str, spelling: Spelling | None = None) -> list[str]:
    """Lower case, straight quotes, words spelled one way, punctuation as tokens.

    ``spelling`` is the lexicon's (``lexicon.spelling``); without one, the default
    language's.
    """
    rules = spelling if spelling is not None else load_lexicon(DEFAULT_LANGUAGE).spelling
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("-", " ")
    out = [rules.contractions.get(t, t) for t in rules.pattern.findall(text)]
    # possessives and "is" contractions: "my calf's swollen", "since Tuesday's run"
    ends, keep = rules.dropped_endings, rules.keep_ending
    out = [_without_ending(t, ends) if t.endswith(ends) and t not in keep else t for t in out]
    merged: list[str] = []
    for tok in out:
        for phrase, word in rules.joined.get(tok, ()):
            # "can not", "not able to control it", "unable to walk": can't
            before = len(phrase) - 1
            if len(merged) >= before and tuple(merged[len(merged) - before :]) == phrase[:-1]:
                del merged[len(merged) - before :]
                merged.append(word)
                break
        else:
            merged.append(tok)
    return merged


def _without_ending(token: str, endings: tuple[str, ...]) -> str:
    ending = next(e for e in endings if token.endswith(e))
    return token[: -len(ending)]


def read_spelling(data: dict[str, Any]) -> Spelling:
    """The ``spelling`` section of a lexicon file, ready for :func:`tokens`."""
    marks = "[" + re.escape(PUNCTUATION_MARKS) + "]"
    joined: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, word in sorted(data["joined"].items(), key=lambda j: -len(j[0].split())):
        said = tuple(phrase.split())
        joined.setdefault(said[-1], []).append((said, str(word)))
    return Spelling(
        pattern=re.compile(f"(?:{data['word_pattern']})|{marks}"),
        contractions={str(k): str(v) for k, v in data["contractions"].items()},
        dropped_endings=tuple(data["dropped_endings"]),
        keep_ending=frozenset(data["keep_ending"]),
        joined=joined,
    )


def stemmer_for(name: str) -> Any:
    """The Snowball stemmer of that name (``english``, ``dutch_porter``): its own module,
    whatever else is installed, so that word forms do not depend on the machine."""
    if not (name.replace("_", "").isalpha() and name.islower()):
        raise DataError([f"{name!r}: not the name of a Snowball stemmer"])
    try:
        module = importlib.import_module(f"snowballstemmer.{name}_stemmer")
    except ImportError as exc:
        raise DataError([f"{name!r}: no such Snowball stemmer"]) from exc
    cls = getattr(module, "".join(part.capitalize() for part in name.split("_")) + "Stemmer", None)
    if cls is None:
        raise DataError([f"{name!r}: no such Snowball stemmer"])
    return cls()


def check_lexicon(data: Any, knowledge: Knowledge, file: str) -> list[str]:
    """Every problem in a lexicon file, each with its place."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"{file}: expected a JSON object"]
    for key in (
        "stemmer",
        "spelling",
        "features",
        "replies",
        "negation",
        "clauses",
        "fillers",
        "lead_fillers",
        "sides",
        "durations",
        "numbers",
        "slot_types",
        "fine_words",
        "run_context",
        "restored_carriers",
        "neutral_phrases",
        "fine_distance",
        "comparatives",
        "senses",
        "requests",
        "temperature",
    ):
        if key not in data:
            problems.append(f"{file}:$.{key}: missing")
    if problems:
        return problems
    try:
        stemmer_for(str(data["stemmer"]))
    except DataError as exc:
        problems.extend(f"{file}:$.stemmer: {p}" for p in exc.problems)
    problems += _spelling_problems(data["spelling"], f"{file}:$.spelling")
    for part, where in (
        ("and_words", "clauses"),
        ("not_number_words", "numbers"),
        ("skipped_before_unit", "numbers"),
    ):
        if not isinstance(data[where], dict) or not isinstance(data[where].get(part), list):
            problems.append(f"{file}:$.{where}.{part}: expected a list of words")
    if not isinstance(data["lead_fillers"], list):
        problems.append(f"{file}:$.lead_fillers: expected a list of words")
    for fid, entry in data["features"].items():
        if fid not in knowledge.features:
            problems.append(f"{file}:$.features.{fid}: not a feature of the knowledge file")
        for part in ("name", "synonyms", "phrases", "absent_phrases"):
            if part not in entry:
                problems.append(f"{file}:$.features.{fid}.{part}: missing")
    for fid in knowledge.features:
        if fid not in data["features"]:
            problems.append(f"{file}:$.features: no words for feature {fid!r}")
    for kind in REPLY_KINDS:
        if kind not in data["replies"]:
            problems.append(f"{file}:$.replies.{kind}: missing")
    for i, rule in enumerate(data["senses"]):
        for part in (
            "id",
            "feature",
            "words",
            "near",
            "window",
            "unless_near",
            "unless_features",
            "becomes",
        ):
            if part not in rule:
                problems.append(f"{file}:$.senses[{i}].{part}: missing")
        for part in ("feature", "becomes"):
            fid = rule.get(part)
            if fid is not None and fid not in knowledge.features:
                problems.append(f"{file}:$.senses[{i}].{part}: unknown feature {fid!r}")
        for j, fid in enumerate(rule.get("unless_features") or ()):
            if fid not in knowledge.features:
                problems.append(
                    f"{file}:$.senses[{i}].unless_features[{j}]: unknown feature {fid!r}"
                )
        if rule.get("becomes") is not None and rule.get("becomes") == rule.get("feature"):
            problems.append(f"{file}:$.senses[{i}].becomes: the same feature as it re-reads")
    for kind in ("lead", "trail", "stop", "repeat", "out_of_scope", "openings"):
        if not isinstance(data["requests"].get(kind), list):
            problems.append(f"{file}:$.requests.{kind}: expected a list of phrases")
    for type_name, ids in data["slot_types"].items():
        for i, fid in enumerate(ids):
            if fid not in data["features"] and fid not in REPLY_KINDS:
                problems.append(f"{file}:$.slot_types.{type_name}[{i}]: unknown feature {fid!r}")
    return problems


def _spelling_problems(spelling: Any, place: str) -> list[str]:
    if not isinstance(spelling, dict):
        return [f"{place}: expected an object"]
    problems: list[str] = []
    for part, kind, name in (
        ("word_pattern", str, "a regular expression"),
        ("contractions", dict, "an object of words"),
        ("dropped_endings", list, "a list of endings"),
        ("keep_ending", list, "a list of words"),
        ("joined", dict, "an object of phrases"),
    ):
        if not isinstance(spelling.get(part), kind):
            problems.append(f"{place}.{part}: expected {name}")
    if problems:
        return problems
    try:
        pattern = re.compile(spelling["word_pattern"])
    except re.error as exc:
        problems.append(f"{place}.word_pattern: not a regular expression: {exc}")
    else:
        if pattern.groups:
            problems.append(f"{place}.word_pattern: has capturing groups; use (?:...)")
        elif pattern.match(""):
            problems.append(f"{place}.word_pattern: matches no characters at all")
    for ending in spelling["dropped_endings"]:
        if not isinstance(ending, str) or not ending:
            problems.append(f"{place}.dropped_endings: {ending!r} is not an ending")
    for phrase in spelling["joined"]:
        if len(phrase.split()) < 2:
            problems.append(f"{place}.joined.{phrase}: expected two words or more")
    return problems


def build_lexicon(data: dict[str, Any], knowledge: Knowledge) -> Lexicon:
    """The lexicon of a lexicon file (checked by :func:`check_lexicon`), for this knowledge."""
    # the stemmer is imported here, on the first words heard: a launch needs none
    lex = Lexicon(
        language=str(data["language"]),
        stemmer=stemmer_for(str(data["stemmer"])),
        fillers=frozenset(data["fillers"]),
        spelling=read_spelling(data["spelling"]),
        knowledge=knowledge,
    )
    for fid, entry in data["features"].items():
        for text in (entry["name"], *entry["synonyms"], *entry["phrases"]):
            add_phrase(lex, text, fid, True)
        for text in entry["absent_phrases"]:
            add_phrase(lex, text, fid, False)
    # a phrase that would shrink to one word nobody else uses keeps its small words
    for bucket in list(lex.phrases.values()):
        for phrase in list(bucket):
            if (
                len(phrase.tokens) == 1
                and phrase.raw
                and not any(
                    other.tokens == phrase.tokens and not other.raw
                    for other in lex.phrases.get(phrase.tokens[0], ())
                )
            ):
                bucket.remove(phrase)
                full = tuple(lex.stem(t) for t in phrase.raw)
                lex.raw_phrases.setdefault(full[0], []).append(
                    Phrase(full, phrase.feature, phrase.present)
                )
    for bucket in lex.phrases.values():
        # "legs", "my legs" and "the legs" are one phrase once the small words are dropped:
        # kept once, or each would be matched (and weighed against the others) again
        bucket[:] = dict.fromkeys(Phrase(p.tokens, p.feature, p.present) for p in bucket)

    def words_of(text: str) -> list[str]:
        return tokens(text, lex.spelling)

    for kind in REPLY_KINDS:
        entry = data["replies"][kind]
        whole = {tuple(words_of(w)) for w in entry.get("whole_only", ())}
        for text in (entry["name"], *entry["synonyms"], *entry.get("whole_only", ())):
            said = tuple(words_of(text))
            if said in whole:
                lex.whole_replies[said] = kind
            else:
                lex.replies.append((said, kind))
    lex.replies.sort(key=lambda r: -len(r[0]))
    lex.all_replies = sorted([*lex.replies, *lex.whole_replies.items()], key=lambda r: -len(r[0]))
    for said, kind in lex.all_replies:
        if said:
            lex.replies_by_word.setdefault(said[0], []).append((said, kind))
    lex.lead_fillers = frozenset(data["lead_fillers"])
    neg = data["negation"]
    lex.cues = sorted((lex.key(words_of(c)) for c in neg["cues"]), key=len, reverse=True)
    lex.cues = [c for c in lex.cues if c]
    lex.window = int(neg["window"])
    lex.scope_breaks = frozenset(neg["scope_breaks"])
    lex.clause_breaks = frozenset(data["clauses"]["breaks"])
    lex.and_words = frozenset(data["clauses"]["and_words"])
    lex.and_before = frozenset(data["clauses"]["and_before"])
    lex.side_words = frozenset(data["sides"]["one_side_words"])
    lex.skip_words = frozenset(data["sides"]["side_words"])
    lex.categories = {fid: f.category for fid, f in knowledge.features.items()}
    lex.keeps_parts = frozenset(
        fid for fid, entry in data["features"].items() if entry.get("keeps_parts")
    )
    lex.fine_words = frozenset(data["fine_words"])
    lex.restored = {str(k): str(v) for k, v in data["restored_carriers"].items()}
    lex.list_words = frozenset(neg["list_words"])
    lex.pronouns = frozenset(neg["pronouns"])
    lex.neutral = sorted(
        {lex.key(words_of(p)) for p in data["neutral_phrases"]} - {()}, key=len, reverse=True
    )
    for cue in lex.cues:
        lex.cues_at.setdefault(cue[0], []).append(cue)
    for neutral in lex.neutral:
        lex.neutral_at.setdefault(neutral[0], []).append(neutral)
    lex.clause_starts = frozenset(data["clauses"]["starts"])
    lex.ends = frozenset(
        {
            p.tokens[0]
            for bucket in lex.phrases.values()
            for p in bucket
            if len(p.tokens) == 1 and knowledge.features[p.feature].category == "sensation"
        }
        | {lex.stem(w) for w in data["fine_words"]}
    )
    lex.fine_distance = int(data["fine_distance"])
    lex.comparatives = frozenset(data["comparatives"]["words"])
    lex.comparative_feature = str(data["comparatives"]["feature"])
    rc = data["run_context"]
    lex.run_context = {
        "after": frozenset(lex.stem(w) for w in rc["after_leads"]),
        "when": frozenset(lex.stem(w) for w in rc["when_leads"]),
        "run": frozenset(lex.stem(w) for w in rc["run_words"]),
        "end": frozenset(lex.stem(w) for w in rc["end_words"]),
        "window": int(rc["window"]),
        "units": frozenset(rc["during_units_before_number"]),
    }
    lex.places = frozenset(
        f
        for f in ("legs", "lower_legs", "feet", "thighs", "toes", "ball_of_foot")
        if f in knowledge.features
    )
    lex.durations = data["durations"]
    lex.not_number_words = frozenset(data["numbers"]["not_number_words"])
    lex.skipped_before_unit = frozenset(data["numbers"]["skipped_before_unit"])
    lex.swallowing = frozenset(
        fid for fid, entry in data["features"].items() if entry.get("swallows_parts")
    )

    def stems(texts: Iterable[str]) -> frozenset[str]:
        return frozenset(lex.stem(t) for text in texts for t in words_of(text))

    for rule in data["senses"]:
        lex.senses.setdefault(str(rule["feature"]), []).append(
            Sense(
                str(rule["id"]),
                str(rule["feature"]),
                stems(rule["words"]),
                stems(rule["near"]),
                int(rule["window"]),
                stems(rule["unless_near"]),
                frozenset(rule["unless_features"]),
                rule["becomes"],
            )
        )
    lex.temperature = dict(data["temperature"])
    req = data["requests"]
    lex.request_lead = frozenset(req["lead"]) | lex.lead_fillers
    lex.request_trail = frozenset(req["trail"])
    for phrase in req["openings"]:
        said = tuple(t for t in words_of(phrase) if t not in PUNCTUATION)
        if said:
            lex.openings.setdefault(said[0], []).append(said)
    for kind in ("stop", "repeat"):
        for phrase in req[kind]:
            said = tuple(t for t in words_of(phrase) if t not in PUNCTUATION)
            if said:
                lex.requests.setdefault(said, kind)
    for phrase in req["out_of_scope"]:
        said = tuple(t for t in words_of(phrase) if t not in PUNCTUATION)
        if said:
            lex.out_of_scope.setdefault(said[0], []).append(said)
    return lex


def add_phrase(lex: Lexicon, text: str, feature: str, present: bool) -> None:
    """Add a phrase of a feature (``present``) or of its absence to the lexicon."""
    said = tokens(text, lex.spelling)
    key = lex.key(said)
    if not key:
        return
    phrase = Phrase(key, feature, present, tuple(said) if len(said) > len(key) else ())
    bucket = lex.phrases.setdefault(key[0], [])
    if phrase not in bucket:
        bucket.append(phrase)


def read_lexicon_data(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """A language's lexicon file as it is written."""
    missing = f"no lexicon for language {language!r}"
    return read_data_file(LEXICON_DIR / f"{language}.json", missing)


@lru_cache(maxsize=8)
def load_lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The lexicon for a language (``en`` for ``en-GB``), read once per process."""
    lang = language.split("-")[0].lower() if isinstance(language, str) else ""
    if not (lang.isalpha() and len(lang) <= 3 and (LEXICON_DIR / f"{lang}.json").exists()):
        lang = DEFAULT_LANGUAGE
    return build_lexicon(read_lexicon_data(lang), load_knowledge())
