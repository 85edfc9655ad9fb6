"""The shares of the corpora the tests hold the skill to (``docs/understanding.md`` quotes them,
and ``tests/test_figures.py`` checks that it quotes these)."""

from __future__ import annotations

INTERPRETER_FLOOR = 0.98
"""The share of a corpus the phrase interpreter must read as its authors meant."""
SIMULATOR_FLOOR = 0.95
"""The share of a corpus that must pass end to end through the simulator (NLU, skill, session);
every danger utterance must pass, whatever the share."""
