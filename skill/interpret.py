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

The words and rules of the language are its lexicon (:mod:`skill.lexicon`, built from
``skill/data/lexicon/<language>.json``, the same data the interaction models' slot
values and synonyms are written from); this module only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from skill.knowledge import Knowledge, load_knowledge
from skill.lexicon import PUNCTUATION, Lexicon, load_lexicon, tokens


class Match(NamedTuple):
    """A phrase found from stem ``start`` up to (not including) ``end``: the feature it
    states (``present``) or denies."""

    start: int
    end: int
    feature: str
    present: bool


class Heard(NamedTuple):
    """What one turn's words said."""

    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    reply: str | None = None
    """yes, no or unsure when the words open with one (or deny the pending feature)."""
    answer: bool | None = None
    """The answer to the pending question, when the words give one."""
    unsure: bool = False
    """The reply is a "not sure" and the words give no answer."""
    word_count: int = 0
    """How many words were heard (punctuation not counted)."""
    request: str | None = None
    """What the runner asked of the skill instead of telling it: ``stop`` ("never mind"),
    ``repeat`` ("pardon?") or ``out_of_scope`` ("how far did I run?")."""

    @property
    def empty(self) -> bool:
        return not self.present and not self.absent and self.reply is None


# ------------------------------------------------------------------ reading


def split_clauses(raw: Sequence[str], lex: Lexicon) -> list[list[str]]:
    """The tokens cut into clauses, each read on its own: at punctuation, at the lexicon's
    clause breaks, at "and" before a new subject, and at a new subject after a word that
    ends a statement of a symptom."""
    out: list[list[str]] = [[]]
    for i, tok in enumerate(raw):
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        prev = raw[i - 1] if i > 0 else ""
        joined = tok in lex.and_words and nxt in lex.and_before
        if tok in PUNCTUATION or tok in lex.clause_breaks or joined:
            if out[-1]:
                out.append([])
            continue
        # speech has no commas: "my shins are sore my chest is fine" is two clauses
        if tok in lex.clause_starts and prev and lex.stem(prev) in lex.ends and out[-1]:
            out.append([])
        out[-1].append(tok)
    return [c for c in out if c]


def find_phrases(stems: Sequence[str], lex: Lexicon, at: Sequence[int]) -> list[Match]:
    """Every phrase of the lexicon in the stems (fillers already dropped), each match placed
    at the positions ``at`` gives for its first and last stem."""
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
    found = find_phrases(stems, lex, range(len(stems)))
    rest = [(k, s) for k, s in enumerate(stems) if s not in lex.skip_words]
    if len(rest) < len(stems):
        found += [
            m
            for m in find_phrases([s for _, s in rest], lex, [k for k, _ in rest])
            if m not in found
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


def _number(
    words: Sequence[str], quantities: dict[str, float], not_number: frozenset[str]
) -> float | None:
    """The amount the words end with: in digits, one of ``quantities`` ("a couple"), or in
    number words read back until a word of ``not_number``."""
    from word2number import w2n

    if not words:
        return None
    last = words[-1]
    if last.replace(".", "", 1).isdigit():
        return float(last)
    if last in quantities:
        return float(quantities[last])
    run: list[str] = []
    for word in reversed(words):
        if word.isalpha() and word not in not_number:
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
            and _number([after_num], quantities, lex.not_number_words) is not None
        ):
            found.append((i, "during_run", True))  # "at mile eleven"
            continue
        if i == 0:
            continue
        before = [w for w in clause[max(0, i - 4) : i] if w not in lex.skipped_before_unit]
        amount = _number(before, quantities, lex.not_number_words)
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
        amount = _number(list(clause[max(0, i - 3) : i]), {}, lex.not_number_words)
        if amount is None:
            continue
        if spec["celsius_hot"] <= amount <= spec["celsius_max"] or amount >= spec["fahrenheit_hot"]:
            found.append(i)
    return found


SHORT_CLAUSE = 3
"""Clauses of at most this many words are remembered once read (see :func:`read_clause`)."""
MAX_REMEMBERED = 20_000


def read_clause(
    clause: Sequence[str], lex: Lexicon, knowledge: Knowledge
) -> tuple[frozenset[str], frozenset[str]]:
    """The features a clause states and denies.

    A short clause ("legs", "itchy", "my left calf") is read once per process and
    remembered: slot values come from a vocabulary of a few thousand phrases, so a warm
    process reads each of them once, as the stem cache stems each word once. A longer
    one is read every time.
    """
    if len(clause) > SHORT_CLAUSE or knowledge is not lex.knowledge:
        return read_clause_afresh(clause, lex, knowledge)
    key = tuple(clause)
    known = lex.short_clauses.get(key)
    if known is None:
        known = read_clause_afresh(clause, lex, knowledge)
        if len(lex.short_clauses) < MAX_REMEMBERED:
            lex.short_clauses[key] = known
    return known


def read_clause_afresh(
    clause: Sequence[str], lex: Lexicon, knowledge: Knowledge
) -> tuple[frozenset[str], frozenset[str]]:
    """The features a clause states and denies, read word by word (never remembered)."""
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
        if (
            clause[k] == clause[k + 2]
            and clause[k + 1] in lex.and_words
            and clause[k] in lex.comparatives
        ):
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
    parts = [[t for t in tokens(f, lex.spelling) if t not in PUNCTUATION] for f in fragments]
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
    while start < len(raw) and (raw[start] in lex.lead_fillers or raw[start] in PUNCTUATION):
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
                and any(
                    m.start == 0 and m.present for m in find_phrases(rest, lex, range(len(rest)))
                )
            )
            return kind, end, denies
    return None, 0, False


def _whole_phrase(fragment: str, lex: Lexicon) -> bool:
    """The fragment is one phrase the lexicon knows ("itchy", "my calves"): nothing of it
    can belong to a phrase cut by a slot boundary."""
    key = lex.key(tokens(fragment, lex.spelling))
    return bool(key) and any(p.tokens == key for p in lex.phrases.get(key[0], ()))


def _only_replies(said: tuple[str, ...], lex: Lexicon) -> str | None:
    """The reply when the words are nothing but replies ("kind of, yeah", "it does")."""
    kinds: list[str] = []
    rest = said
    while rest:
        if rest[0] in lex.lead_fillers:
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
    knowledge = knowledge or load_knowledge()
    lexicon = lexicon or load_lexicon()
    if lexicon.requests:
        everything = [t for f in fragments for t in tokens(f, lexicon.spelling)]
        asked = _request(everything, lexicon)
        if asked is not None:
            return Heard(
                word_count=sum(1 for t in everything if t not in PUNCTUATION), request=asked
            )
    present: set[str] = set()
    absent: set[str] = set()
    reply: str | None = None
    count = 0
    denied = False
    opening: list[str] = []
    for n, fragment in enumerate(fragments):
        raw = tokens(fragment, lexicon.spelling)
        count += sum(1 for t in raw if t not in PUNCTUATION)
        if n == 0:
            kind, used, denies = _reply(raw, lexicon)
            denied = denies
            if kind is not None:
                reply = kind
                if not denies and (pending is not None or kind == "no"):
                    # (a "no" opening with no question asked is no negation either)
                    opening, raw = raw, raw[used:]
        for clause in split_clauses(raw, lexicon):
            p, a = read_clause(clause, lexicon, knowledge)
            present |= p
            absent |= a
    if opening:
        # the opening words may begin a phrase ("not sure where I am", "no idea what day it
        # is"): what the whole fragment states counts too, unless the rest denied it
        for clause in split_clauses(opening, lexicon):
            present |= read_clause(clause, lexicon, knowledge)[0] - absent
    if len(fragments) > 1 and not all(_whole_phrase(f, lexicon) for f in fragments):
        # a phrase can be cut in two by where the slots split ("every" | "time I run"):
        # read the slots joined, either way round, for what they state
        for joined in (list(fragments), list(reversed(fragments))):
            for clause in split_clauses(tokens(" ".join(joined), lexicon.spelling), lexicon):
                present |= read_clause(clause, lexicon, knowledge)[0] - absent
    for combo in knowledge.combinations:
        # slots of one utterance are one sentence: "my {BodyPart} are {Sensation}"
        wide = combo.scope == "report" or len(fragments) > 1
        if wide and combo.holds(present):
            present.add(combo.feature)
    absent -= present
    if denied:
        reply = None  # "no pain at all" denies pain; it is no answer by itself
    answer = _answer(pending, reply, present, absent, knowledge)
    if answer is True and pending is not None:
        present.add(pending)
    elif answer is False and pending is not None:
        absent.add(pending)
        present.discard(pending)
    request = None
    danger = any(knowledge.features[f].category == "danger" for f in present)
    if (
        not danger
        and answer is None
        and (lexicon.out_of_scope or lexicon.openings)
        and _out_of_scope(fragments, lexicon, bool(present or absent))
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


def _ruled_out(feature: str, absent: set[str], knowledge: Knowledge) -> bool:
    """Whether the parts denied leave none of the feature's combinations able to hold: "my
    calf isn't hot or swollen" answers "is one calf hot, red or swollen?" (two of the three
    are needed, one is left); "my calf isn't hot" does not."""
    combos = [c for c in knowledge.combinations if c.feature == feature]
    return bool(combos) and all(
        any(sum(1 for f in group.any if f not in absent) < group.min for group in combo.groups)
        for combo in combos
    )


def _answer(
    pending: str | None,
    reply: str | None,
    present: set[str],
    absent: set[str],
    knowledge: Knowledge,
) -> bool | None:
    """The answer to the pending question: the reply, else what the features heard say of
    it (``None``: no answer)."""
    if pending is None or pending not in knowledge.features:
        return None
    if reply == "yes":
        return True
    if reply == "no":
        return False
    if reply == "unsure":
        return None
    if answered_yes(pending, present, knowledge):
        return True
    if pending in absent or (absent and absent <= related(pending, knowledge) and not present):
        return False
    if any(pending in knowledge.features[f].excludes for f in present):
        return False
    if absent and _ruled_out(pending, absent, knowledge):
        return False
    feat = knowledge.features[pending]
    if feat.category == "place":
        others = {f for f in present if knowledge.features[f].category == "place"}
        near = set(feat.implies) | {f for f in others if pending in knowledge.features[f].implies}
        if others - near:
            return False
    return None
