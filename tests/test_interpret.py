"""The phrase interpreter: words in, feature ids out, with no SDK in sight.

The corpus in tests/corpus (written apart from the model and the lexicon) is run
through it as data: every danger utterance must be read right, and the whole
corpus at 98% or more, the issue's bar.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from skill.interpret import (
    SHORT_CLAUSE,
    interpret,
    read_clause,
    read_clause_afresh,
    split_clauses,
)
from skill.knowledge import load_knowledge
from skill.lexicon import LEXICON_DIR, check_lexicon, load_lexicon, read_lexicon_data, tokens
from skill.tools.simulator.corpus import check_ids, check_utterance_interpreted, load_utterances
from skill.triage import assess, present_features
from tests.support.floors import INTERPRETER_FLOOR

KB = load_knowledge()
CORPUS = load_utterances("en-US")
DANGER = [u for u in CORPUS if u.dangers]


def heard(text: str, pending: str | None = None) -> tuple[set[str], set[str], bool | None]:
    """What was heard, with what it implies (a start in the first minutes is during the run)."""
    h = interpret([text], pending)
    return set(present_features(KB, {f: True for f in h.present})), set(h.absent), h.answer


# ------------------------------------------------------------------ the lexicon


@pytest.mark.parametrize("path", sorted(LEXICON_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_lexicon_is_sound(path) -> None:  # type: ignore[no-untyped-def]
    data = read_lexicon_data(path.stem)
    assert check_lexicon(data, KB, path.name) == []


def test_every_feature_has_words() -> None:
    lex = load_lexicon("en")
    have = {
        p.feature for bucket in (*lex.phrases.values(), *lex.raw_phrases.values()) for p in bucket
    }
    assert set(KB.features) - have == set()


def test_the_interpreter_does_not_import_the_sdk() -> None:
    code = (
        "import sys, skill.interpret; "
        "bad = [m for m in sys.modules if m.startswith(('ask_sdk', 'flask'))]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ------------------------------------------------------------------ what it reads


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("my calves are numb and burning", {"lower_legs", "numbness", "burning"}),
        ("cramping and twitchy", {"cramp", "twitching"}),
        ("sore and tingly", {"ache", "tingling"}),
        ("it burns", {"burning"}),
        ("my calf keeps spasming", {"spasm", "lower_legs"}),
        ("my hamstrings locked up", {"cramp", "thighs"}),
        ("my foot goes dead", {"numbness", "feet"}),
        ("for a couple of days", {"lasts_days"}),
        ("since Tuesday", {"lasts_days"}),
        ("it's been tingling for the last 48 hours", {"tingling", "lasts_days"}),
        ("all week", {"lasts_days"}),
        ("ten minutes into my run", {"soon_after_start", "during_run"}),
        ("about eight miles in", {"during_run"}),
        ("once I've cooled off it's fine", {"fades_after_cooldown"}),
        ("it stops when I walk it off", {"fades_after_cooldown"}),
        ("it builds and builds until I stop", {"worse_as_run_goes_on"}),
        ("the ball of my right foot", {"ball_of_foot", "one_leg"}),
        ("it happens all the time", {"keeps_coming_back"}),
    ],
)
def test_words_become_features(text: str, present: set[str]) -> None:
    assert present <= heard(text)[0]


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("there's no pain at all", set(), {"pain"}),
        ("it doesn't hurt but it's numb", {"numbness"}, {"pain"}),
        ("not itchy, more like burning", {"burning"}, {"itching"}),
        ("no cramps or twitching, just itchy", {"itching"}, {"cramp", "twitching"}),
        ("it's not my feet, it's my calves", {"lower_legs"}, {"feet"}),
        ("I don't think it's swollen", set(), {"swelling"}),
        ("it doesn't go away when I stop", set(), {"fades_after_cooldown"}),
        ("I can walk fine", set(), {"cant_walk"}),
    ],
)
def test_negation_reaches_within_its_clause(text: str, present: set[str], absent: set[str]) -> None:
    got_present, got_absent, _ = heard(text)
    assert present <= got_present and absent <= got_absent
    assert not absent & got_present


def test_i_dont_know_is_no_negation() -> None:
    present, absent, _ = heard("I don't know, it's a twitchy crampy feeling")
    assert {"twitching", "cramp"} <= present and not absent


@pytest.mark.parametrize(
    ("text", "pending", "answer", "present"),
    [
        ("yeah, right between the toes", "between_toes", True, {"between_toes"}),
        ("nah, it comes and goes", "lasts_days", False, {"comes_and_goes"}),
        ("yes, for days now", "lasts_days", True, {"lasts_days"}),
        ("kind of, yeah", "worse_as_run_goes_on", True, set()),
        ("it does", "shoots_up_leg", True, set()),
        ("no, breathing's fine", "face_throat_breathing", False, set()),
        ("it's in my feet", "lower_legs", False, {"feet"}),
        ("it's been like this for days", "lasts_days", True, {"lasts_days"}),
        ("no pain", "pain", False, set()),
    ],
)
def test_a_yes_or_no_opening_a_longer_answer(
    text: str, pending: str, answer: bool, present: set[str]
) -> None:
    got_present, _, got = heard(text, pending)
    assert got is answer and present <= got_present


def test_not_sure_leaves_the_question_unanswered() -> None:
    h = interpret(["I'm not sure"], "pain")
    assert h.answer is None and h.unsure


def test_a_sentence_that_starts_like_a_yes_is_no_answer() -> None:
    # "I have ..." is a yes only when it is all that was said
    assert heard("I have pain in my calves", "cant_walk")[2] is None


def test_no_before_a_symptom_denies_it_and_answers_nothing_else() -> None:
    present, absent, answer = heard("no pain at all", "lasts_days")
    assert "pain" in absent and answer is None


# ------------------------------------------------------------------ danger


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("my calf is hot, puffy and red", "calf_hot_swollen"),
        ("my left calf's gone red and swollen", "calf_hot_swollen"),
        ("my lips are swelling", "face_swelling"),
        ("my throat feels tight", "throat_tight"),
        ("half my face has gone numb", "one_side_weakness"),
        ("I can't feel my bum or my groin", "bladder_bowel"),
        ("I'm not able to control my bladder", "bladder_bowel"),
        ("there's a pressure on my chest", "chest_pain"),
        ("I can hardly breathe", "breathing_trouble"),
        ("honestly I can barely breathe right now", "breathing_trouble"),
        ("I can't stop wheezing", "breathing_trouble"),
        ("I can't get air in", "breathing_trouble"),
        ("my breathing is really laboured", "breathing_trouble"),
        ("it feels like an elephant is sitting on my chest", "chest_pain"),
        ("I can't tell if I need to pee", "bladder_bowel"),
        ("struggling for air", "breathing_trouble"),
        ("I can't move my arm properly", "one_side_weakness"),
        ("my left side has gone weak", "one_side_weakness"),
        ("hang on my lips feel really fat now", "face_swelling"),
        ("I can't control my wee", "bladder_bowel"),
    ],
)
def test_danger_phrases_in_the_runners_own_order(text: str, sign: str) -> None:
    assert sign in heard(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "my face is red from the run",
        "my face went numb in the cold wind",
        "my shins are sore, my chest is fine",
        "my shins are sore my chest is fine",
        "my socks are wet",
        "I'm out of breath from the hill",
        "I'm gasping after that last hill",
        "my calf is hot",
    ],
)
def test_a_word_alone_is_not_a_danger_sign(text: str) -> None:
    present = heard(text)[0]
    assert not {f for f in present if KB.features[f].category == "danger"}, present


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("my calves won't stop twitching", "twitching"),
        ("I can't stop itching", "itching"),
        ("it just doesn't stop burning", "burning"),
        ("the tingling hasn't stopped since the run", "tingling"),
        ("my calf never stops cramping", "cramp"),
        ("I can't help scratching my legs", "itching"),
    ],
)
def test_something_that_will_not_stop_is_there_not_denied(text: str, feature: str) -> None:
    present, absent, _ = heard(text)
    assert feature in present and feature not in absent


def test_a_negated_danger_sign_is_heard_as_denied() -> None:
    present, absent, _ = heard("no chest pain, and my breathing is fine")
    assert {"chest_pain", "breathing_trouble"} <= absent and not present & absent


def test_a_calf_heard_in_two_slots_is_still_one_sentence() -> None:
    h = interpret(["swollen hot", "calf"])
    assert "calf_hot_swollen" in h.present


def test_tokens_spell_contractions_one_way() -> None:
    assert tokens("I cant walk, I'm not able to") == ["i", "can't", "walk", ",", "i'm", "can't"]
    assert tokens("my calf's swollen since Tuesday's run")[1:3] == ["calf", "swollen"]


# ------------------------------------------------------------------ the corpus


def test_the_corpus_names_only_known_features() -> None:
    assert len(CORPUS) >= 300
    assert check_ids(CORPUS, KB) == []


@pytest.mark.parametrize("u", DANGER, ids=lambda u: u.place)
def test_every_danger_utterance_raises_its_danger_sign(u) -> None:  # type: ignore[no-untyped-def]
    """What a runner notices: the danger sign said is the one raised, and no other."""
    h = interpret([u.say], u.pending)
    answers = {f: True for f in h.present}
    expected = {f: True for f in u.present}
    if u.pending and u.answer == "yes":
        answers[u.pending] = expected[u.pending] = True
    assert set(assess(answers).danger_signs) == set(assess(expected).danger_signs), u.say


def test_the_corpus_passes_through_the_interpreter_at_98_percent() -> None:
    failures = {u.say: w for u in CORPUS if (w := check_utterance_interpreted(u, KB))}
    share = 1 - len(failures) / len(CORPUS)
    assert share >= INTERPRETER_FLOOR, f"{share:.1%}: " + "\n".join(
        f"{k!r}: {v}" for k, v in failures.items()
    )


# -- short clauses are read once ------------------------------------------------------------


def _short_clauses() -> list[list[str]]:
    """Every short clause of the lexicon's own words and of the corpus utterances."""
    lex = load_lexicon("en")
    texts = [
        w
        for entry in read_lexicon_data("en")["features"].values()
        for w in (entry["name"], *entry["synonyms"], *entry["phrases"], *entry["absent_phrases"])
    ]
    texts += [u.say for u in CORPUS]
    seen: dict[tuple[str, ...], list[str]] = {}
    for text in texts:
        for clause in split_clauses(tokens(text), lex):
            if len(clause) <= SHORT_CLAUSE:
                seen.setdefault(tuple(clause), clause)
    return list(seen.values())


def test_a_remembered_short_clause_reads_as_it_would_be_read_afresh() -> None:
    lex = load_lexicon("en")
    clauses = _short_clauses()
    assert len(clauses) > 300
    for clause in clauses:
        fresh = read_clause_afresh(clause, lex, KB)
        assert read_clause(clause, lex, KB) == fresh, clause  # read (or remembered) ...
        assert read_clause(clause, lex, KB) == fresh, clause  # ... and remembered
        assert tuple(clause) in lex.short_clauses


def test_other_knowledge_is_never_answered_from_memory() -> None:
    lex = load_lexicon("en")
    read_clause(["legs"], lex, KB)
    other = KB._replace(combinations=())  # a different knowledge object
    lex.short_clauses[("legs",)] = (frozenset({"chest_pain"}), frozenset())  # poisoned
    try:
        assert read_clause(["legs"], lex, other) == read_clause_afresh(["legs"], lex, other)
        assert "chest_pain" not in read_clause(["legs"], lex, other)[0]
    finally:
        del lex.short_clauses[("legs",)]
    assert read_clause(["legs"], lex, KB) == (frozenset({"legs"}), frozenset())


def test_long_clauses_are_not_remembered() -> None:
    lex = load_lexicon("en")
    clause = tokens("my calves keep twitching on long runs")
    read_clause(clause, lex, KB)
    assert tuple(clause) not in lex.short_clauses


# -- answers in the runner's own words --------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "text", "answer"),
    [
        ("lasts_days", "only since this morning", False),
        ("lasts_days", "just today", False),
        ("lasts_days", "a couple of hours", False),
        ("lasts_days", "for about twenty minutes", False),
        ("lasts_days", "it started two hours after the run", False),
        ("lasts_days", "since yesterday morning", True),
        ("worse_as_run_goes_on", "the further I ran the worse it got", True),
        ("worse_as_run_goes_on", "it was the same the whole way", False),
        ("cant_walk", "I can hardly walk", True),
        ("cant_walk", "I can walk but barely", None),  # never heard as "walking is fine"
        ("calf_hot_swollen", "neither calf is hot or swollen", False),
        ("calf_hot_swollen", "my calf isn't hot or swollen", False),
        ("calf_hot_swollen", "my calf isn't hot", None),  # red and swollen would still be two
        ("calf_hot_swollen", "my calf isn't hot but it is red and swollen", True),
        ("soon_after_start", "about ten minutes in", True),
        ("soon_after_start", "only near the end", False),
        ("soon_after_start", "not until the last few miles", False),
        ("fades_after_cooldown", "it's just as bad", False),
        ("fades_after_cooldown", "if anything it's worse", False),
        ("shoots_up_leg", "it stays in one spot", False),
    ],
)
def test_answers_in_the_runners_own_words(pending: str, text: str, answer: bool | None) -> None:
    assert interpret([text], pending).answer is answer


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("at about twenty minutes", "during_run"),
        ("it lasted about ten minutes", None),
    ],
)
def test_a_time_into_the_run_is_not_a_time_it_lasted(text: str, feature: str | None) -> None:
    present, absent, _ = heard(text)
    assert present == ({feature} if feature else set())
    assert ("lasts_days" in absent) is (feature is None)


@pytest.mark.parametrize(
    ("text", "hives"),
    [
        ("there's a sore spot on my shin", False),  # a place, not a rash: no allergy check
        ("a tender spot on my calf", False),
        ("I've got red spots on my legs", True),
        ("my legs are covered in spots", True),
        ("I've come out in itchy spots", True),
    ],
)
def test_a_spot_is_a_place_and_spots_on_the_skin_are_a_rash(text: str, hives: bool) -> None:
    assert ("hives" in heard(text)[0]) is hives


# ------------------------------------------------------------------ words read in their sense

SENSE_EXAMPLES = [
    (rule["id"], ex["say"], ex["feature"], ex["heard"])
    for rule in read_lexicon_data("en")["senses"]
    for ex in rule["examples"]
]


@pytest.mark.parametrize(
    ("rule", "said", "feature", "heard"),
    SENSE_EXAMPLES,
    ids=[f"{r}:{s}" for r, s, _, _ in SENSE_EXAMPLES],
)
def test_words_are_read_in_their_sense(rule: str, said: str, feature: str, heard: bool) -> None:
    """Every sense rule of the lexicon, by its own examples: the weather is not a hot calf,
    calories are not a burning feeling, 'that hill killed me' is not pain, 'say that again'
    is not a symptom coming back; and the words it must leave alone still count."""
    got = interpret([said])
    assert (feature in got.present) is heard, (rule, got)


def test_every_sense_rule_has_an_example_each_way() -> None:
    for rule in read_lexicon_data("en")["senses"]:
        kinds = {ex["heard"] for ex in rule["examples"]}
        assert kinds == {True, False} or rule["becomes"] is not None, rule["id"]


@pytest.mark.parametrize(
    ("said", "outcome"),
    [
        # a probe in words nobody tuned for, after the held-out corpus was fixed
        ("i ran twenty k in thirty degree heat and now i feel weird and spaced out", "heat_stroke"),
        ("my wee is like coffee after the ultra and my quads are rock hard", "rhabdomyolysis"),
        (
            "i think i overdid the gels and water, i've puked twice and my head is splitting",
            "hyponatremia",
        ),
        (
            "i got lightheaded and had to sit down at the end, my heart was fluttering",
            "palpitations",
        ),
        ("my mate collapsed at the finish and he's not responding", "collapse"),
        ("i've got terrible stomach cramps after my run", "side_stitch"),
        (
            "i nearly passed out at the end of the 10k in the sun"
            " and now i have a banging headache",
            "heat_exhaustion",
        ),
        ("my knees ache and it was a hot one today", "overuse_pain"),
        ("i got a blister and my toes are numb", None),  # numb toes: the article's check-in
        ("the swelling went down after i iced it", None),
        ("it's not with my left leg it's the right", None),
    ],
)
def test_runners_words_reach_their_danger_or_complaint(said: str, outcome: str | None) -> None:
    from skill.triage import assess

    heard = interpret([said])
    result = assess({**{f: False for f in heard.absent}, **{f: True for f in heard.present}})
    found = (result.danger_signs or result.complaints or (None,))[0]
    assert found == outcome, (heard, result.danger_signs, result.complaints)


@pytest.mark.parametrize(
    ("words", "pending", "stated"),
    [
        ("not sure where i am", "lasts_days", "confusion"),  # "I don't know where I am"
        ("not sure what day it is", "worse_as_run_goes_on", "confusion"),  # "no idea what day..."
        ("not sure, maybe a cramp", "lasts_days", "cramp"),  # the rest still counts
    ],
)
def test_an_opening_that_begins_a_phrase_still_states_it(
    words: str, pending: str, stated: str
) -> None:
    """While a question waits, "not sure" opens an answer and is taken off the rest; when it
    is the start of a phrase, what the whole states is heard too, and the answer stays unsure."""
    heard = interpret([words], pending)
    assert stated in heard.present
    assert heard.unsure and heard.answer is None


@pytest.mark.parametrize("words", ["no it does not hurt", "no, not really"])
def test_a_no_opening_still_denies_what_was_asked(words: str) -> None:
    heard = interpret([words], "pain")
    assert heard.answer is False
    assert "pain" in heard.absent and "pain" not in heard.present


@pytest.mark.parametrize(
    ("words", "stated"),
    [
        ("not feel my toes at all", "numbness"),  # "I don't feel my toes", as Alexa hears it
        ("not feel my bladder any more", "bladder_bowel"),  # a loss of feeling, not a denial
        ("i do not feel my toes", "numbness"),
    ],
)
def test_not_feeling_a_part_is_a_loss_of_feeling_not_a_denial(words: str, stated: str) -> None:
    heard = interpret([words], "worse_as_run_goes_on")
    assert stated in heard.present
    assert stated not in heard.absent
