"""The phrase interpreter: any words heard, in, feature ids of the knowledge file, out.

A pure module beside the engine: no SDK, no I/O after the lexicon is read.
Whatever the runner said, in whichever slot it landed, resolved or not, is
turned into the features it states (``present``) and the ones it denies
(``absent``), with:

* several features per phrase ("numb and burning"), longest phrases first,
  a phrase inside a longer one giving way to it ("gone numb" is numbness, not
  "gone");
* word forms from the Snowball stemmer ("burns", "spasming", "twitches");
* durations as people say them ("for a couple of days", "since Tuesday",
  "ten minutes in", "the first mile");
* negation within a clause ("there's no pain at all", "it doesn't hurt but
  it's numb"), recorded as absent;
* the knowledge file's clause-level combinations ("my lips are swelling" is
  the allergic sign; "my face is red" is not);
* a yes, no or "not sure" at the start of a longer answer ("yeah, right
  between the toes", "nah, it comes and goes"), read as the answer to the
  pending question while the rest still counts.

The vocabulary is ``skill/data/lexicon/<language>.json``, the same data the
interaction models' slot values and synonyms are written from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from skill.errors import DataError
from skill.knowledge import Knowledge, load_knowledge

LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"
DEFAULT_LANGUAGE = "en"

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[,.;:!?]")
PUNCTUATION = frozenset(",.;:!?")
CONTRACTIONS = {
    "cant": "can't",
    "cannot": "can't",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "wont": "won't",
    "im": "i'm",
    "ive": "i've",
    "its": "it's",
    "theyre": "they're",
    "thats": "that's",
    "theres": "there's",
}
KEEP_S = frozenset(
    {
        "it's",
        "that's",
        "there's",
        "what's",
        "he's",
        "she's",
        "let's",
        "who's",
        "here's",
        "where's",
        "one's",
    }
)
REPLIES = ("yes", "no", "unsure")
LEAD_FILLERS = frozenset(
    {
        "um",
        "umm",
        "uh",
        "uhh",
        "er",
        "erm",
        "hmm",
        "hm",
        "well",
        "oh",
        "so",
        "actually",
        "honestly",
        "ah",
        "ok",
        "okay",
        "alright",
    }
)


class Phrase(NamedTuple):
    tokens: tuple[str, ...]
    feature: str
    present: bool
    raw: tuple[str, ...] = ()
    """The words as written, when fillers were dropped from a longer phrase."""


class Match(NamedTuple):
    start: int
    end: int
    feature: str
    present: bool

    @property
    def size(self) -> int:
        return self.end - self.start


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


class Heard(NamedTuple):
    """What one turn's words said."""

    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    reply: str | None = None
    """yes, no or unsure when the words open with one (or deny the pending feature)."""
    answer: bool | None = None
    """The answer to the pending question, when the words give one."""
    unsure: bool = False
    words: int = 0
    request: str | None = None
    """What the runner asked of the skill instead of telling it: ``stop`` ("never mind"),
    ``repeat`` ("pardon?") or ``out_of_scope`` ("how far did I run?")."""

    @property
    def empty(self) -> bool:
        return not self.present and not self.absent and self.reply is None


@dataclass(eq=False, repr=False)  # one per language, built once: only __init__ is needed
class Lexicon:
    language: str
    stemmer: Any
    fillers: frozenset[str]
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    raw_phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    """Phrases matched with their small words ("all the time", "it's back"): without
    them they would be one common word."""
    replies: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    """Phrases that open an answer with a yes, no or "not sure", longest first."""
    whole_replies: dict[tuple[str, ...], str] = field(default_factory=dict)
    all_replies: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    replies_by_word: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    stems: dict[str, str] = field(default_factory=dict)
    knowledge: Knowledge | None = None
    """The knowledge the lexicon was built for (its feature ids)."""
    short_clauses: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = field(
        default_factory=dict
    )
    """Short clauses already read, with what they state and deny (see ``_read_clause``)."""
    """Phrases that are a yes, no or "not sure" only when nothing else is said ("it does")."""
    cues_at: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    neutral_at: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """``cues`` and ``neutral`` by their first stem, in the same order."""
    cues: list[tuple[str, ...]] = field(default_factory=list)
    window: int = 5
    scope_breaks: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    and_before: frozenset[str] = frozenset()
    side_words: frozenset[str] = frozenset()
    skip_words: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    durations: dict[str, Any] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    keeps_parts: frozenset[str] = frozenset()
    fine_words: frozenset[str] = frozenset()
    run_context: dict[str, Any] = field(default_factory=dict)
    restored: dict[str, str] = field(default_factory=dict)
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
    """Intent name to the carrier word its samples open with and the words still mean
    ("no" for NoDescribeIntent: "no {Description}")."""

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


def tokens(text: str) -> list[str]:
    """Lower case, straight quotes, contractions spelled one way, punctuation as tokens."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("-", " ")
    out = [CONTRACTIONS.get(t, t) for t in TOKEN_RE.findall(text)]
    # possessives and "is" contractions: "my calf's swollen", "since Tuesday's run"
    out = [t[:-2] if t.endswith("'s") and t not in KEEP_S else t for t in out]
    merged: list[str] = []
    for tok in out:
        if tok == "not" and merged and merged[-1] == "can":
            merged[-1] = "can't"
            continue
        if tok == "to" and merged and (merged[-1] == "unable" or merged[-2:] == ["not", "able"]):
            # "not able to control it", "unable to walk": can't
            del merged[-2 if merged[-1] == "able" else -1 :]
            merged.append("can't")
            continue
        merged.append(tok)
    return merged


def check_lexicon(data: Any, knowledge: Knowledge, file: str) -> list[str]:
    """Every problem in a lexicon file, each with its place."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"{file}: expected a JSON object"]
    for key in (
        "features",
        "replies",
        "negation",
        "clauses",
        "fillers",
        "sides",
        "durations",
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
    for fid, entry in data["features"].items():
        if fid not in knowledge.features:
            problems.append(f"{file}:$.features.{fid}: not a feature of the knowledge file")
        for part in ("name", "synonyms", "phrases", "absent_phrases"):
            if part not in entry:
                problems.append(f"{file}:$.features.{fid}.{part}: missing")
    for fid in knowledge.features:
        if fid not in data["features"]:
            problems.append(f"{file}:$.features: no words for feature {fid!r}")
    for kind in REPLIES:
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
            if fid not in data["features"] and fid not in REPLIES:
                problems.append(f"{file}:$.slot_types.{type_name}[{i}]: unknown feature {fid!r}")
    return problems


def build_lexicon(data: dict[str, Any], knowledge: Knowledge) -> Lexicon:
    # imported here, on the first words heard: a launch needs no stemmer
    from snowballstemmer.english_stemmer import EnglishStemmer

    lex = Lexicon(
        language=str(data["language"]),
        stemmer=EnglishStemmer(),
        fillers=frozenset(data["fillers"]),
        knowledge=knowledge,
    )
    for fid, entry in data["features"].items():
        for words_ in (entry["name"], *entry["synonyms"], *entry["phrases"]):
            lex_add(lex, words_, fid, True)
        for words_ in entry["absent_phrases"]:
            lex_add(lex, words_, fid, False)
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
    for kind in REPLIES:
        entry = data["replies"][kind]
        whole = {tuple(tokens(w)) for w in entry.get("whole_only", ())}
        for words_ in (entry["name"], *entry["synonyms"], *entry.get("whole_only", ())):
            said = tuple(tokens(words_))
            if said in whole:
                lex.whole_replies[said] = kind
            else:
                lex.replies.append((said, kind))
    lex.replies.sort(key=lambda r: -len(r[0]))
    lex.all_replies = sorted([*lex.replies, *lex.whole_replies.items()], key=lambda r: -len(r[0]))
    for said, kind in lex.all_replies:
        if said:
            lex.replies_by_word.setdefault(said[0], []).append((said, kind))
    neg = data["negation"]
    lex.cues = sorted((lex.key(tokens(c)) for c in neg["cues"]), key=len, reverse=True)
    lex.cues = [c for c in lex.cues if c]
    lex.window = int(neg["window"])
    lex.scope_breaks = frozenset(neg["scope_breaks"])
    lex.clause_breaks = frozenset(data["clauses"]["breaks"])
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
        {lex.key(tokens(p)) for p in data["neutral_phrases"]} - {()}, key=len, reverse=True
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
    lex.swallowing = frozenset(
        fid for fid, entry in data["features"].items() if entry.get("swallows_parts")
    )

    def stems(words_: Iterable[str]) -> frozenset[str]:
        return frozenset(lex.stem(t) for w in words_ for t in tokens(w))

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
    lex.request_lead = frozenset(req["lead"]) | LEAD_FILLERS
    lex.request_trail = frozenset(req["trail"])
    for phrase in req["openings"]:
        said = tuple(t for t in tokens(phrase) if t not in PUNCTUATION)
        if said:
            lex.openings.setdefault(said[0], []).append(said)
    for kind in ("stop", "repeat"):
        for phrase in req[kind]:
            said = tuple(t for t in tokens(phrase) if t not in PUNCTUATION)
            if said:
                lex.requests.setdefault(said, kind)
    for phrase in req["out_of_scope"]:
        said = tuple(t for t in tokens(phrase) if t not in PUNCTUATION)
        if said:
            lex.out_of_scope.setdefault(said[0], []).append(said)
    return lex


def lex_add(lex: Lexicon, words_: str, feature: str, present: bool) -> None:
    said = tokens(words_)
    key = lex.key(said)
    if not key:
        return
    phrase = Phrase(key, feature, present, tuple(said) if len(said) > len(key) else ())
    bucket = lex.phrases.setdefault(key[0], [])
    if phrase not in bucket:
        bucket.append(phrase)


def read_lexicon_data(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    path = LEXICON_DIR / f"{language}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError([f"{path}: no lexicon for language {language!r}"]) from exc
    except json.JSONDecodeError as exc:
        raise DataError([f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]) from exc
    return data


@lru_cache(maxsize=8)
def load_lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The lexicon for a language (``en`` for ``en-GB``), read once per process."""
    lang = language.split("-")[0].lower() if isinstance(language, str) else ""
    if not (lang.isalpha() and len(lang) <= 3 and (LEXICON_DIR / f"{lang}.json").exists()):
        lang = DEFAULT_LANGUAGE
    return build_lexicon(read_lexicon_data(lang), load_knowledge())


# ------------------------------------------------------------------ reading


def _clauses(raw: Sequence[str], lex: Lexicon) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for i, tok in enumerate(raw):
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        prev = raw[i - 1] if i > 0 else ""
        joined = tok == "and" and nxt in lex.and_before
        if tok in PUNCTUATION or tok in lex.clause_breaks or joined:
            if out[-1]:
                out.append([])
            continue
        # speech has no commas: "my shins are sore my chest is fine" is two clauses
        if tok in lex.clause_starts and prev and lex.stem(prev) in lex.ends and out[-1]:
            out.append([])
        out[-1].append(tok)
    return [c for c in out if c]


def _find(stems: Sequence[str], lex: Lexicon, at: Sequence[int]) -> list[Match]:
    found: list[Match] = []
    for i, stem in enumerate(stems):
        for phrase in lex.phrases.get(stem, ()):
            n = len(phrase.tokens)
            if tuple(stems[i : i + n]) == phrase.tokens:
                found.append(Match(at[i], at[i + n - 1] + 1, phrase.feature, phrase.present))
    return found


def _matches(stems: Sequence[str], lex: Lexicon) -> list[Match]:
    """Every phrase heard; a second pass reads past "left" and "right" ("the ball of my
    right foot"). A phrase inside a longer one of the same kind gives way to it ("gone
    numb" is numbness, not "gone"), unless the longer one keeps its parts ("my left
    calf" is one leg and the calf)."""
    found = _find(stems, lex, range(len(stems)))
    rest = [(k, s) for k, s in enumerate(stems) if s not in lex.skip_words]
    if len(rest) < len(stems):
        found += [
            m for m in _find([s for _, s in rest], lex, [k for k, _ in rest]) if m not in found
        ]
    if len(found) < 2:
        return found
    cat = lex.categories
    keeps = lex.keeps_parts
    swallowing = lex.swallowing
    kept = []
    for m in found:
        start, end, size = m.start, m.end, m.end - m.start
        kind = cat[m.feature]
        for o in found:  # does m give way to o?
            if (
                o.start <= start
                and end <= o.end
                and o.end - o.start > size
                and o.feature not in keeps
                and (
                    m.feature == o.feature
                    or kind == cat[o.feature]
                    or kind in ("timing", "modifier")
                    or o.feature in swallowing
                )
            ):
                break
        else:
            kept.append(m)
    return kept


def _number(words_: Sequence[str], quantities: dict[str, float]) -> float | None:
    from word2number import w2n

    if not words_:
        return None
    last = words_[-1]
    if last.replace(".", "", 1).isdigit():
        return float(last)
    if last in quantities:
        return float(quantities[last])
    run: list[str] = []
    for word in reversed(words_):
        if word.isalpha() and word not in ("a", "an", "and", "or", "of"):
            run.insert(0, word)
        else:
            break
        try:
            w2n.word_to_num(word)
        except ValueError:
            run.pop(0)
            break
    if not run:
        return None
    try:
        return float(w2n.word_to_num(" ".join(run)))
    except ValueError:
        return None


def _durations(clause: Sequence[str], lex: Lexicon) -> list[tuple[int, str, bool]]:
    """(raw position, feature, present) for each duration or run distance in a clause: a few
    hours or minutes (not "into" the run) is a time shorter than a day, so "lasts_days" is
    absent."""
    spec = lex.durations
    units: dict[str, str] = spec["units"]
    quantities: dict[str, float] = spec["quantities"]
    found: list[tuple[int, str, bool]] = []
    for i, tok in enumerate(clause):
        if tok in spec["weekdays"] and i > 0 and clause[i - 1] in spec["since_words"]:
            found.append((i, "lasts_days", True))
            continue
        unit = units.get(tok)
        if unit is None:
            continue
        after_num = clause[i + 1] if i + 1 < len(clause) else ""
        if (
            tok in lex.run_context["units"]
            and after_num
            and _number([after_num], quantities) is not None
        ):
            found.append((i, "during_run", True))  # "at mile eleven"
            continue
        if i == 0:
            continue
        before = [w for w in clause[max(0, i - 4) : i] if w not in ("of", "or", "so", "more")]
        amount = _number(before, quantities)
        if amount is None:
            continue
        after = clause[i + 1] if i + 1 < len(clause) else ""
        lead = clause[max(0, i - 5) : i]
        into = after in spec["into_words"] or (
            any(w in spec["after_words"] for w in lead)  # "at about twenty minutes"
            and not any(w in spec.get("span_words", ()) for w in lead)
        )  # "for about ..."
        if after in spec["break_words"]:
            continue  # "after a few weeks off": a break from running, not a symptom
        if unit in ("day", "week", "month", "year"):
            if amount >= 1:
                found.append((i, "lasts_days", True))
        elif unit == "hour" and amount >= spec["day_hours"]:
            found.append((i, "lasts_days", True))
        elif unit in ("hour", "minute") and not into:
            found.append((i, "lasts_days", False))  # "for a couple of hours": under a day
        elif unit == "hour" and after in spec["into_words"]:
            found.append((i, "during_run", True))  # "an hour into the run"
        elif unit == "minute":
            soon = amount <= spec["soon_minutes"]
            found.append((i, "soon_after_start" if soon else "during_run", True))
        elif unit in ("mile", "km") and into:
            limit = spec["soon_miles"] if unit == "mile" else spec["soon_km"]
            found.append((i, "soon_after_start" if amount <= limit else "during_run", True))
    return found


def _hot_temperatures(clause: Sequence[str], lex: Lexicon) -> list[int]:
    """Raw positions of temperatures said to be hot ("thirty five degrees", "ninety five
    degrees out"): hot in Celsius or in Fahrenheit; a cool day ("ten degrees") is nothing."""
    spec = lex.temperature
    if not spec:
        return []
    found = []
    for i, tok in enumerate(clause):
        if tok not in spec["units"] or i == 0:
            continue
        amount = _number(list(clause[max(0, i - 3) : i]), {})
        if amount is None:
            continue
        if spec["celsius_hot"] <= amount <= spec["celsius_max"] or amount >= spec["fahrenheit_hot"]:
            found.append(i)
    return found


SHORT_CLAUSE = 3
"""Clauses of at most this many words are remembered once read (see :func:`_read_clause`)."""
MAX_REMEMBERED = 20_000


def _read_clause(
    clause: Sequence[str], lex: Lexicon, knowledge: Knowledge
) -> tuple[frozenset[str], frozenset[str]]:
    """The features a clause states and denies.

    A short clause ("legs", "itchy", "my left calf") is read once per process and
    remembered: slot values come from a vocabulary of a few thousand phrases, so a warm
    process reads each of them once, as the stem cache stems each word once. A longer
    one is read every time.
    """
    if len(clause) > SHORT_CLAUSE or knowledge is not lex.knowledge:
        return _read_words(clause, lex, knowledge)
    key = tuple(clause)
    known = lex.short_clauses.get(key)
    if known is None:
        known = _read_words(clause, lex, knowledge)
        if len(lex.short_clauses) < MAX_REMEMBERED:
            lex.short_clauses[key] = known
    return known


def _read_words(
    clause: Sequence[str], lex: Lexicon, knowledge: Knowledge
) -> tuple[frozenset[str], frozenset[str]]:
    kept = [(i, t) for i, t in enumerate(clause) if t not in lex.fillers]
    stems = [lex.stem(t) for _, t in kept]
    raw_at = [i for i, _ in kept]
    matches = _matches(stems, lex)
    raw_stems = [lex.stem(t) for t in clause]
    for i, stem in enumerate(raw_stems):
        for phrase in lex.raw_phrases.get(stem, ()):
            n = len(phrase.tokens)
            if tuple(raw_stems[i : i + n]) == phrase.tokens:
                inside = [k for k, r in enumerate(raw_at) if i <= r < i + n]
                if inside:
                    matches.append(Match(inside[0], inside[-1] + 1, phrase.feature, phrase.present))
    # durations: placed at the unit word, so that negation reaches them too
    for raw_pos, feature, said in _durations(clause, lex):
        pos = next((k for k, i in enumerate(raw_at) if i >= raw_pos), len(raw_at) - 1)
        matches.append(Match(pos, pos + 1, feature, said))
    for raw_pos in _hot_temperatures(clause, lex):
        pos = next((k for k, i in enumerate(raw_at) if i >= raw_pos), len(raw_at) - 1)
        matches.append(Match(pos, pos + 1, str(lex.temperature["feature"]), True))
    # one side: "left calf", "my right foot", "only one leg"
    for m in list(matches):
        if (
            m.feature in lex.places
            and m.present
            and any(kept[k][1] in lex.side_words for k in range(max(0, m.start - 1), m.end))
        ):
            matches.append(Match(max(0, m.start - 1), m.end, "one_leg", True))
    matches.extend(_run_context(stems, lex))
    for k in range(len(clause) - 2):  # "heavier and heavier", "tighter and tighter"
        if clause[k] == clause[k + 2] and clause[k + 1] == "and" and clause[k] in lex.comparatives:
            inside = [j for j, r in enumerate(raw_at) if k <= r <= k + 2]
            if inside:
                matches.append(Match(inside[0], inside[-1] + 1, lex.comparative_feature, True))
    if lex.senses:
        matches = _senses(matches, clause, raw_at, stems, lex)
    covered = {k for m in matches for k in range(m.start, m.end)}
    for k in range(len(stems)):  # "I don't know", "without fail": no negation
        for neutral in lex.neutral_at.get(stems[k], ()):
            if tuple(stems[k : k + len(neutral)]) == neutral:
                covered.update(range(k, k + len(neutral)))
    starts = {m.start for m in matches if m.present}
    negated = _negated(clause, kept, stems, covered, starts, lex)
    present: set[str] = set()
    absent: set[str] = set()
    for m in matches:
        denied = m.start in negated
        if m.present and not denied:
            present.add(m.feature)
        elif m.present or not denied:
            absent.add(m.feature)
        # an absent phrase denied ("not breathing fine") says nothing for sure
    # a place said to be fine ("my chest is fine") makes none of its signs
    fine_places = {
        m.feature
        for m in matches
        if m.present
        and m.feature in lex.categories
        and lex.categories[m.feature] == "place"
        and any(t in lex.fine_words for _, t in kept[m.end : m.end + lex.fine_distance])
    }
    heard = present | absent
    cleared = present - fine_places
    for combo in knowledge.combinations:
        if combo.scope != "clause" or (
            heard.isdisjoint(combo.members)
            and (not fine_places or fine_places.isdisjoint(combo.groups[0].any))
        ):
            continue  # (every group needs one of its features: none heard, none holds)
        if combo.holds(cleared):
            present.add(combo.feature)
        elif combo.holds(heard) or fine_places.intersection(combo.groups[0].any):
            # "no swelling in my face", "my throat's fine": the sign denied
            absent.add(combo.feature)
    return frozenset(present), frozenset(absent - present)


def _senses(
    matches: list[Match],
    clause: Sequence[str],
    raw_at: Sequence[int],
    stems: Sequence[str],
    lex: Lexicon,
) -> list[Match]:
    """Each match read in its sense: a sense rule of the lexicon whose neighbours are there
    re-reads it ("hot" near "day" is the weather; "burned" near "calories" is nothing)."""
    if not any(m.feature in lex.senses for m in matches):
        return matches
    raw_stems = [lex.stem(t) for t in clause]
    out: list[Match] = []
    for m in matches:
        rules = lex.senses.get(m.feature) if m.present else None
        if not rules:
            out.append(m)
            continue
        own = set(stems[m.start : m.end])
        lo, hi = raw_at[m.start], raw_at[m.end - 1]
        for rule in rules:
            if rule.words and own.isdisjoint(rule.words):
                continue
            if rule.unless_features and any(
                o.present
                and o.feature in rule.unless_features
                and raw_at[o.end - 1] >= lo - rule.window
                and raw_at[o.start] <= hi + rule.window
                for o in matches
            ):
                continue  # a body part named near it: "my calf is hot", "my feet are on fire"
            around = set(raw_stems[max(0, lo - rule.window) : lo]) | set(
                raw_stems[hi + 1 : hi + 1 + rule.window]
            )
            if rule.near and around.isdisjoint(rule.near):
                continue
            if not around.isdisjoint(rule.unless_near) or not own.isdisjoint(rule.unless_near):
                continue  # ("goes dead" is numbness whatever is near)
            if rule.becomes is not None:
                out.append(Match(m.start, m.end, rule.becomes, True))
            break
        else:
            out.append(m)
    return out


def _request(raw: Sequence[str], lex: Lexicon) -> str | None:
    """A request to stop or to repeat, when that is all that was said: one or more of its
    phrases ("okay that's enough, leave it"), after lead words ("no, never mind", "sorry,
    say that again") and before trailing ones ("stop, I'm fine", "forget it mate")."""
    said = tuple(t for t in raw if t not in PUNCTUATION)
    kinds: list[str] = []
    i = 0
    longest = max((len(p) for p in lex.requests), default=0)
    while i < len(said):
        for n in range(min(longest, len(said) - i), 0, -1):
            kind = lex.requests.get(said[i : i + n])
            if kind is not None:
                kinds.append(kind)
                i += n
                break
        else:
            word = said[i]
            if word in lex.request_lead or (kinds and word in lex.request_trail):
                i += 1
                continue
            return None
    return kinds[0] if kinds and len(set(kinds)) == 1 else None


def _phrase_in(
    raw: Sequence[str], table: dict[str, list[tuple[str, ...]]], at_start: bool = False
) -> bool:
    for i, tok in enumerate(raw[:1] if at_start else raw):
        for phrase in table.get(tok, ()):
            if tuple(raw[i : i + len(phrase)]) == phrase:
                return True
    return False


def _out_of_scope(fragments: Sequence[str], lex: Lexicon, heard_anything: bool) -> bool:
    """The words ask for something the skill cannot serve: they open like such a request
    ("how far did I run?", "play some music"; in whichever slot the opening landed, or
    either way round when the slots cut it), or, when no symptom was heard, name one
    anywhere ("what was me pace for parkrun")."""
    parts = [[t for t in tokens(f) if t not in PUNCTUATION] for f in fragments]
    starts = [*parts, [t for p in parts for t in p], [t for p in reversed(parts) for t in p]]
    for said in starts:
        start = 0
        while start < len(said) and said[start] in lex.request_lead:
            start += 1
        if _phrase_in(said[start:], lex.openings, at_start=True):
            return True
    return not heard_anything and _phrase_in(starts[-2], lex.out_of_scope)


def _negated(
    clause: Sequence[str],
    kept: Sequence[tuple[int, str]],
    stems: Sequence[str],
    covered: set[int],
    starts: set[int],
    lex: Lexicon,
) -> set[int]:
    """Positions a negation reaches: a few words on, through a list ("no cramps or
    spasms"), not past a turn ("more", "just") or a new subject after a symptom ("not my
    feet, it's my calves")."""
    negated: set[int] = set()
    for k in range(len(stems)):
        if k in covered:
            continue
        cue = next(
            (c for c in lex.cues_at.get(stems[k], ()) if tuple(stems[k : k + len(c)]) == c), None
        )
        if cue is None:
            continue
        budget = lex.window
        seen_feature = False
        j = k + len(cue)
        while j < len(stems) and budget > 0:
            lo = kept[j - 1][0] + 1
            between = clause[lo : kept[j][0] + 1]
            if any(t in lex.scope_breaks for t in between):
                break
            if seen_feature and any(t in lex.pronouns for t in between):
                break
            negated.add(j)
            seen_feature = seen_feature or j in starts
            if kept[j][1] not in lex.list_words:
                budget -= 1
            j += 1
    return negated


def _run_context(stems: Sequence[str], lex: Lexicon) -> list[Match]:
    """ "since my long run", "once I'd stopped", "when I got home": after the run."""
    rc = lex.run_context
    found: list[Match] = []
    for i, stem in enumerate(stems):
        if stem in rc["after"]:
            words = rc["run"] | rc["end"]
        elif stem in rc["when"]:
            words = rc["end"]
        else:
            continue
        for j in range(i + 1, min(i + 1 + rc["window"], len(stems))):
            if stems[j] in lex.durations["units"] or stems[j].isdigit():
                break
            if stems[j] in words:
                found.append(Match(i, j + 1, "after_run", True))
                break
    return found


def _reply(raw: Sequence[str], lex: Lexicon) -> tuple[str | None, int, bool]:
    """A yes/no/unsure opening: (kind, tokens it takes, whether it denies what follows)."""
    start = 0
    while start < len(raw) and (raw[start] in LEAD_FILLERS or raw[start] in PUNCTUATION):
        start += 1
    said = tuple(t for t in raw[start:] if t not in PUNCTUATION)
    whole = _only_replies(said, lex)
    if whole is not None:
        return whole, len(raw), False
    opening = raw[start] if start < len(raw) else ""
    for phrase, kind in lex.replies_by_word.get(opening, ()):
        if phrase in lex.whole_replies:
            continue
        if tuple(raw[start : start + len(phrase)]) == phrase:
            end = start + len(phrase)
            rest = [lex.stem(t) for t in raw[end:] if t not in lex.fillers]
            denies = (
                kind == "no"
                and bool(raw[end : end + 1])
                and raw[end] not in lex.fillers
                and any(m.start == 0 and m.present for m in _find(rest, lex, range(len(rest))))
            )
            return kind, end, denies
    return None, 0, False


def _whole_phrase(fragment: str, lex: Lexicon) -> bool:
    """The fragment is one phrase the lexicon knows ("itchy", "my calves"): nothing of it
    can belong to a phrase cut by a slot boundary."""
    key = lex.key(tokens(fragment))
    return bool(key) and any(p.tokens == key for p in lex.phrases.get(key[0], ()))


def _only_replies(said: tuple[str, ...], lex: Lexicon) -> str | None:
    """The reply when the words are nothing but replies ("kind of, yeah", "it does")."""
    kinds: list[str] = []
    rest = said
    while rest:
        if rest[0] in LEAD_FILLERS:
            rest = rest[1:]
            continue
        for phrase, kind in lex.replies_by_word.get(rest[0], ()):
            if rest[: len(phrase)] == phrase:
                kinds.append(kind)
                rest = rest[len(phrase) :]
                break
        else:
            return None
    if not kinds:
        return None
    strong = [k for k in kinds if k != "unsure"]
    return strong[0] if strong else kinds[0]


def interpret(
    fragments: Sequence[str],
    pending: str | None = None,
    knowledge: Knowledge | None = None,
    lexicon: Lexicon | None = None,
) -> Heard:
    """Read what was heard this turn: every fragment (slot value) of it, in order.

    The first fragment may open with a yes, no or "not sure"; when a question
    is pending, that (or a feature the words state or deny) answers it.
    """
    kb = knowledge or load_knowledge()
    lex = lexicon or load_lexicon()
    if lex.requests:
        everything = [t for f in fragments for t in tokens(f)]
        asked = _request(everything, lex)
        if asked is not None:
            return Heard(words=sum(1 for t in everything if t not in PUNCTUATION), request=asked)
    present: set[str] = set()
    absent: set[str] = set()
    reply: str | None = None
    count = 0
    denied = False
    for n, fragment in enumerate(fragments):
        raw = tokens(fragment)
        count += sum(1 for t in raw if t not in PUNCTUATION)
        if n == 0:
            kind, used, denies = _reply(raw, lex)
            denied = denies
            if kind is not None:
                reply = kind
                if not denies and (pending is not None or kind == "no"):
                    # (a "no" opening with no question asked is no negation either)
                    raw = raw[used:]
        for clause in _clauses(raw, lex):
            p, a = _read_clause(clause, lex, kb)
            present |= p
            absent |= a
    if len(fragments) > 1 and not all(_whole_phrase(f, lex) for f in fragments):
        # a phrase can be cut in two by where the slots split ("every" | "time I run"):
        # read the slots joined, either way round, for what they state
        for joined in (list(fragments), list(reversed(fragments))):
            for clause in _clauses(tokens(" ".join(joined)), lex):
                present |= _read_clause(clause, lex, kb)[0] - absent
    for combo in kb.combinations:
        # slots of one utterance are one sentence: "my {BodyPart} are {Sensation}"
        wide = combo.scope == "report" or len(fragments) > 1
        if wide and combo.holds(present):
            present.add(combo.feature)
    absent -= present
    if denied:
        reply = None  # "no pain at all" denies pain; it is no answer by itself
    answer = _answer(pending, reply, present, absent, kb)
    if answer is True and pending is not None:
        present.add(pending)
    elif answer is False and pending is not None:
        absent.add(pending)
        present.discard(pending)
    request = None
    danger = any(kb.features[f].category == "danger" for f in present)
    if (
        not danger
        and answer is None
        and (lex.out_of_scope or lex.openings)
        and _out_of_scope(fragments, lex, bool(present or absent))
    ):
        request = "out_of_scope"
    return Heard(
        frozenset(present),
        frozenset(absent),
        reply,
        answer,
        reply == "unsure" and answer is None,
        count,
        request,
    )


def answered_yes(feature: str, present: Iterable[str], knowledge: Knowledge) -> bool:
    """The feature, or one of its answered_by groups, is among those present."""
    have = set(present)
    if feature in have:
        return True
    return any(have.issuperset(group) for group in knowledge.features[feature].answered_by)


def related(feature: str, knowledge: Knowledge) -> set[str]:
    """The feature and what answers its question ("breathing's fine" answers the
    face-throat-breathing check for its part)."""
    return {feature, *(f for group in knowledge.features[feature].answered_by for f in group)}


def _ruled_out(feature: str, absent: set[str], kb: Knowledge) -> bool:
    """Whether the parts denied leave none of the feature's combinations able to hold: "my
    calf isn't hot or swollen" answers "is one calf hot, red or swollen?" (two of the three
    are needed, one is left); "my calf isn't hot" does not."""
    combos = [c for c in kb.combinations if c.feature == feature]
    return bool(combos) and all(
        any(sum(1 for f in group.any if f not in absent) < group.min for group in combo.groups)
        for combo in combos
    )


def _answer(
    pending: str | None, reply: str | None, present: set[str], absent: set[str], kb: Knowledge
) -> bool | None:
    if pending is None or pending not in kb.features:
        return None
    if reply == "yes":
        return True
    if reply == "no":
        return False
    if reply == "unsure":
        return None
    if answered_yes(pending, present, kb):
        return True
    if pending in absent or (absent and absent <= related(pending, kb) and not present):
        return False
    if any(pending in kb.features[f].excludes for f in present):
        return False
    if absent and _ruled_out(pending, absent, kb):
        return False
    feat = kb.features[pending]
    if feat.category == "place":
        others = {f for f in present if kb.features[f].category == "place"}
        near = set(feat.implies) | {f for f in others if pending in kb.features[f].implies}
        if others - near:
            return False
    return None
