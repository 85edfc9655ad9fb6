"""The corpus of how runners talk, end to end: the simulator's NLU resolves each
utterance against the interaction model, the skill answers, and what the skill kept
(or the danger advice it gave) is judged. Whole conversations are talked through
with the runner's truthful answers.
"""

from __future__ import annotations

import pytest

from skill.app import build_skill
from skill.knowledge import load_knowledge
from skill.tools.models import model_path
from skill.tools.simulator.conversation import Conversation
from skill.tools.simulator.corpus import (
    Utterance,
    check_utterance_end_to_end,
    load_conversations,
    load_utterances,
    new_conversation,
    run_conversation,
)
from skill.tools.simulator.nlu import InteractionModel
from tests.support.floors import SIMULATOR_FLOOR
from tests.support.markets import locale_models

pytestmark = pytest.mark.slow  # the whole runner corpus, end to end, in every locale

KB = load_knowledge()
MARKETS = locale_models()  # every locale with a model: a new one is tested without edits
MODELS = {code: InteractionModel.load(model_path(code)) for code in MARKETS}
MODEL = MODELS["en-US"]
CORPUS = load_utterances("en-US")
CASES = load_conversations("en-US")
SKILL = build_skill(None)


@pytest.fixture(scope="module", params=MARKETS)
def market(request: pytest.FixtureRequest) -> tuple[InteractionModel, Conversation]:
    """Each locale's model, and a conversation with the skill in that locale."""
    model = MODELS[str(request.param)]
    return model, new_conversation(model, SKILL)


@pytest.mark.parametrize("u", [u for u in CORPUS if u.dangers], ids=lambda u: u.place)
def test_every_danger_utterance_escalates_end_to_end(
    u: Utterance, market: tuple[InteractionModel, Conversation]
) -> None:
    model, conversation = market
    assert check_utterance_end_to_end(u, model, conversation, KB) == [], u.say


def test_the_corpus_passes_end_to_end_at_95_percent(
    market: tuple[InteractionModel, Conversation],
) -> None:
    model, conversation = market
    failures = {
        u.say: w for u in CORPUS if (w := check_utterance_end_to_end(u, model, conversation, KB))
    }
    share = 1 - len(failures) / len(CORPUS)
    assert share >= SIMULATOR_FLOOR, f"{share:.1%}: " + "\n".join(
        f"{k!r}: {v}" for k, v in failures.items()
    )


def test_there_are_enough_conversations_for_every_cause_and_danger_sign() -> None:
    """Each cause and danger sign reached from ten different conversations or more; half
    of each danger sign's said after the first turn (mid-conversation)."""

    def outcome(case) -> str:  # type: ignore[no-untyped-def]
        return str(case.expect.get("cause") or case.expect.get("danger"))

    for target in [c.id for c in KB.causes] + [d.id for d in KB.danger_signs]:
        cases = [c for c in CASES if outcome(c) == target]
        assert len(cases) >= 10, target
    for sign in KB.danger_signs:
        cases = [c for c in CASES if outcome(c) == sign.id]
        first_turn = [
            c
            for c in cases
            if c.expect.get("immediate")
            and len(
                [
                    t
                    for t in c.turns
                    if not t.lower().startswith(("open", "alexa, open", "alexa open"))
                ]
            )
            == 1
        ]
        assert len(first_turn) <= len(cases) // 2, sign.id


@pytest.mark.parametrize("locale", MARKETS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.place)
def test_conversation(case, locale: str) -> None:  # type: ignore[no-untyped-def]
    """The outcome expected; danger escalates (at once when said outright); no question
    whose answer was given, none asked a third time; at most six turns to the advice;
    in every locale."""
    model = MODELS[locale]
    run = run_conversation(case, model, lambda: new_conversation(model, SKILL), KB)
    assert run.ok, "\n".join(run.problems) + "\n" + run.transcript()
