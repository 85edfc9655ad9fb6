"""The request envelopes kept as JSON files in ``tests/fixtures/``, and the tests' fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
"""The tests' fixed clock: a morning after a run."""
TODAY = NOW.date()
"""The tests' fixed day."""


def load_fixture(name: str) -> dict[str, Any]:
    """The envelope in ``tests/fixtures/<name>``."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data
