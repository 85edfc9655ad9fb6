"""The locales the suite runs in: every interaction model there is."""

from __future__ import annotations

from skill.tools.models import MODELS_DIR


def locale_models() -> tuple[str, ...]:
    """en-US first (the source model), then the markets written from it."""
    found = sorted(p.stem for p in MODELS_DIR.glob("*.json"))
    return tuple(sorted(found, key=lambda code: (code != "en-US", code)))
