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
from typing import Any

import snowballstemmer
from word2number import w2n

from skill.errors import DataError
from skill.knowledge import Knowledge, load_knowledge

LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"
DEFAULT_LANGUAGE = "en"

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[,.;:!?]")
PUNCTUATION = frozenset(",.;:!?")
CONTRACTIONS = {
    "cant": "can't", "cannot": "can't", "dont": "don't", "doesnt": "doesn't",
    "didnt": "didn't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't",
    "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't",
    "couldnt": "couldn't", "wouldnt": "wouldn't", "wont": "won't", "im": "i'm", "ive": "i've",
    "its": "it's", "theyre": "they're", "thats": "that's", "theres": "there's",
}
REPLIES = ("yes", "no", "unsure")
LEAD_FILLERS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "hmm", "hm", "well", "oh",
                          "so", "actually", "honestly", "ah", "ok", "okay", "alright"})


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    feature: str
    present: bool


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    feature: str
    present: bool


@dataclass(frozen=True)
class Heard:
    """What one turn's words said."""

    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    reply: str | None = None
    """yes, no or unsure when the words open with one (or deny the pending feature)."""
    answer: bool | None = None
    """The answer to the pending question, when the words give one."""
    unsure: bool = False
    words: int = 0

    @property
    def empty(self) -> bool:
        return not self.present and not self.absent and self.reply is None


@dataclass
class Lexicon:
    language: str
    stemmer: Any
    fillers: frozenset[str]
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    replies: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    cues: list[tuple[str, ...]] = field(default_factory=list)
    window: int = 5
    scope_breaks: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()
    and_before: frozenset[str] = frozenset()
    side_words: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    durations: dict[str, Any] = field(default_factory=dict)

    def stem(self, token: str) -> str:
        if "'" in token or not token.isalpha():
            return token
        out: str = self.stemmer.stemWord(token)
        return out

    def key(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """A phrase as the matcher sees it: fillers dropped, each word stemmed."""
        return tuple(self.stem(t) for t in tokens if t not in self.fillers)


def tokens(text: str) -> list[str]:
    """Lower case, straight quotes, contractions spelled one way, punctuation as tokens."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("-", " ")
    out = [CONTRACTIONS.get(t, t) for t in TOKEN_RE.findall(text)]
    merged: list[str] = []
    for tok in out:
        if tok == "not" and merged and merged[-1] == "can":
            merged[-1] = "can't"
            continue
        merged.append(tok)
    return merged


def _check_lexicon(data: Any, knowledge: Knowledge, file: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"{file}: expected a JSON object"]
    for key in ("features", "replies", "negation", "clauses", "fillers", "sides", "durations",
                "slot_types"):
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
    for type_name, ids in data["slot_types"].items():
        for i, fid in enumerate(ids):
            if fid not in data["features"] and fid not in REPLIES:
                problems.append(f"{file}:$.slot_types.{type_name}[{i}]: unknown feature {fid!r}")
    return problems


def build_lexicon(data: dict[str, Any], knowledge: Knowledge) -> Lexicon:
    lex = Lexicon(
        language=str(data["language"]),
        stemmer=snowballstemmer.stemmer("english"),
        fillers=frozenset(data["fillers"]),
    )
    for fid, entry in data["features"].items():
        for words_ in (entry["name"], *entry["synonyms"], *entry["phrases"]):
            lex_add(lex, words_, fid, True)
        for words_ in entry["absent_phrases"]:
            lex_add(lex, words_, fid, False)
    for kind in REPLIES:
        entry = data["replies"][kind]
        for words_ in (entry["name"], *entry["synonyms"]):
            lex.replies.append((tuple(tokens(words_)), kind))
    lex.replies.sort(key=lambda r: -len(r[0]))
    neg = data["negation"]
    lex.cues = sorted((lex.key(tokens(c)) for c in neg["cues"]), key=len, reverse=True)
    lex.cues = [c for c in lex.cues if c]
    lex.window = int(neg["window"])
    lex.scope_breaks = frozenset(neg["scope_breaks"])
    lex.clause_breaks = frozenset(data["clauses"]["breaks"])
    lex.and_before = frozenset(data["clauses"]["and_before"])
    lex.side_words = frozenset(data["sides"]["one_side_words"])
    lex.places = frozenset(f for f in ("legs", "lower_legs", "feet", "thighs", "toes",
                                       "ball_of_foot") if f in knowledge.features)
    lex.durations = data["durations"]
    return lex


def lex_add(lex: Lexicon, words_: str, feature: str, present: bool) -> None:
    key = lex.key(tokens(words_))
    if not key:
        return
    phrase = Phrase(key, feature, present)
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


def check_lexicon(data: Any, knowledge: Knowledge, file: str) -> list[str]:
    """Every problem in a lexicon file, each with its place."""
    return _check_lexicon(data, knowledge, file)


@lru_cache(maxsize=8)
def load_lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The lexicon for a language (``en`` for ``en-GB``), read once per process."""
    lang = language.split("-")[0].lower() or DEFAULT_LANGUAGE
    if not (LEXICON_DIR / f"{lang}.json").exists():
        lang = DEFAULT_LANGUAGE
    return build_lexicon(read_lexicon_data(lang), load_knowledge())


# ------------------------------------------------------------------ reading


def _clauses(raw: Sequence[str], lex: Lexicon) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for i, tok in enumerate(raw):
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        joined = tok == "and" and nxt in lex.and_before
        if tok in PUNCTUATION or tok in lex.clause_breaks or joined:
            if out[-1]:
                out.append([])
            continue
        out[-1].append(tok)
    return [c for c in out if c]


def _matches(stems: Sequence[str], lex: Lexicon) -> list[Match]:
    found: list[Match] = []
    for i, stem in enumerate(stems):
        for phrase in lex.phrases.get(stem, ()):
            n = len(phrase.tokens)
            if tuple(stems[i:i + n]) == phrase.tokens:
                found.append(Match(i, i + n, phrase.feature, phrase.present))
    # a phrase inside a longer phrase gives way to it
    return [m for m in found
            if not any(o.start <= m.start and m.end <= o.end
                       and (o.end - o.start) > (m.end - m.start) for o in found)]


def _number(words_: Sequence[str], quantities: dict[str, float]) -> float | None:
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


def _durations(clause: Sequence[str], lex: Lexicon) -> list[tuple[int, str]]:
    """(raw position, feature) for each duration or run distance in a clause."""
    spec = lex.durations
    units: dict[str, str] = spec["units"]
    quantities: dict[str, float] = spec["quantities"]
    found: list[tuple[int, str]] = []
    for i, tok in enumerate(clause):
        if tok in spec["weekdays"] and i > 0 and clause[i - 1] in spec["since_words"]:
            found.append((i, "lasts_days"))
            continue
        unit = units.get(tok)
        if unit is None or i == 0:
            continue
        before = [w for w in clause[max(0, i - 4):i] if w not in ("of", "or", "so", "more")]
        amount = _number(before, quantities)
        if amount is None:
            continue
        after = clause[i + 1] if i + 1 < len(clause) else ""
        lead = clause[max(0, i - 5):i]
        into = after in spec["into_words"] or any(w in spec["after_words"] for w in lead)
        if unit in ("day", "week", "month", "year"):
            if amount >= 1:
                found.append((i, "lasts_days"))
        elif unit == "minute" and into:
            soon = amount <= spec["soon_minutes"]
            found.append((i, "soon_after_start" if soon else "during_run"))
        elif unit in ("mile", "km") and into:
            limit = spec["soon_miles"] if unit == "mile" else spec["soon_km"]
            found.append((i, "soon_after_start" if amount <= limit else "during_run"))
    return found


def _read_clause(clause: Sequence[str], lex: Lexicon, knowledge: Knowledge
                 ) -> tuple[set[str], set[str]]:
    kept = [(i, t) for i, t in enumerate(clause) if t not in lex.fillers]
    stems = [lex.stem(t) for _, t in kept]
    raw_at = [i for i, _ in kept]
    matches = _matches(stems, lex)
    # durations: placed at the unit word, so that negation reaches them too
    for raw_pos, feature in _durations(clause, lex):
        pos = next((k for k, i in enumerate(raw_at) if i >= raw_pos), len(raw_at) - 1)
        matches.append(Match(pos, pos + 1, feature, True))
    # one side: "left calf", "my right foot", "only one leg"
    for m in list(matches):
        if (m.feature in lex.places and m.present and m.start > 0
                and kept[m.start - 1][1] in lex.side_words):
            matches.append(Match(m.start - 1, m.end, "one_leg", True))
    covered = {k for m in matches for k in range(m.start, m.end)}
    negated: set[int] = set()
    for k in range(len(stems)):
        if k in covered:
            continue
        for cue in lex.cues:
            if tuple(stems[k:k + len(cue)]) != cue:
                continue
            stop = k + len(cue) + lex.window
            for j in range(k + len(cue), min(stop, len(stems))):
                if kept[j][1] in lex.scope_breaks:
                    break
                negated.add(j)
            break
    present: set[str] = set()
    absent: set[str] = set()
    for m in matches:
        denied = m.start in negated
        if m.present != denied:
            present.add(m.feature)
        else:
            absent.add(m.feature)
    for combo in knowledge.combinations:
        if combo.scope == "clause" and combo.holds(present):
            present.add(combo.feature)
    return present, absent - present


def _reply(raw: Sequence[str], lex: Lexicon) -> tuple[str | None, int, bool]:
    """A yes/no/unsure opening: (kind, tokens it takes, whether it denies what follows)."""
    start = 0
    while start < len(raw) and (raw[start] in LEAD_FILLERS or raw[start] in PUNCTUATION):
        start += 1
    for phrase, kind in lex.replies:
        if tuple(raw[start:start + len(phrase)]) == phrase:
            end = start + len(phrase)
            nxt = raw[end] if end < len(raw) else ""
            denies = kind == "no" and bool(nxt) and lex.stem(nxt) in lex.phrases
            return kind, end, denies
    return None, 0, False


def interpret(fragments: Sequence[str], pending: str | None = None,
              knowledge: Knowledge | None = None, lexicon: Lexicon | None = None) -> Heard:
    """Read what was heard this turn: every fragment (slot value) of it, in order.

    The first fragment may open with a yes, no or "not sure"; when a question
    is pending, that (or a feature the words state or deny) answers it.
    """
    kb = knowledge or load_knowledge()
    lex = lexicon or load_lexicon()
    present: set[str] = set()
    absent: set[str] = set()
    reply: str | None = None
    count = 0
    for n, fragment in enumerate(fragments):
        raw = tokens(fragment)
        count += sum(1 for t in raw if t not in PUNCTUATION)
        if n == 0:
            kind, used, denies = _reply(raw, lex)
            if kind is not None:
                reply = kind
                if not denies:
                    raw = raw[used:]
        for clause in _clauses(raw, lex):
            p, a = _read_clause(clause, lex, kb)
            present |= p
            absent |= a
    for combo in kb.combinations:
        if combo.scope == "report" and combo.holds(present):
            present.add(combo.feature)
    absent -= present
    answer = _answer(pending, reply, present, absent, kb)
    if reply == "no" and answer is None and present | absent and _reply_denied(fragments, lex):
        reply = None  # "no pain at all": it denied a feature, not the question
    return Heard(frozenset(present), frozenset(absent), reply, answer,
                 reply == "unsure" and answer is None, count)


def _reply_denied(fragments: Sequence[str], lex: Lexicon) -> bool:
    if not fragments:
        return False
    return _reply(tokens(fragments[0]), lex)[2]


def answered_yes(feature: str, present: Iterable[str], knowledge: Knowledge) -> bool:
    """The feature, or one of its answered_by groups, is among those present."""
    have = set(present)
    if feature in have:
        return True
    return any(set(group) <= have for group in knowledge.features[feature].answered_by)


def _answer(pending: str | None, reply: str | None, present: set[str], absent: set[str],
            kb: Knowledge) -> bool | None:
    if pending is None or pending not in kb.features:
        return None
    if answered_yes(pending, present, kb):
        return True
    if pending in absent:
        return False
    if reply == "yes":
        return True
    if reply == "no" and not (present | absent):
        return False
    if reply == "no":
        # "nah, it comes and goes" answers no; "no pain" denies pain, not the question
        return False if not _denies_other(present, absent) else None
    if any(pending in kb.features[f].excludes for f in present):
        return False
    feat = kb.features[pending]
    if feat.category == "place":
        others = {f for f in present if kb.features[f].category == "place"}
        related = set(feat.implies) | {f for f in others if pending in kb.features[f].implies}
        if others - related:
            return False
    return None


def _denies_other(present: set[str], absent: set[str]) -> bool:
    return bool(absent) and not present
