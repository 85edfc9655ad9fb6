"""The documentation's pages as the figure tests read them: Markdown tables by their header."""

from __future__ import annotations

from pathlib import Path

from skill.tools.paths import REPO_ROOT

UNDERSTANDING = REPO_ROOT / "docs" / "understanding.md"
"""How Leg Check understands runners, with the corpus figures."""


def table(path: Path, first_header: str) -> tuple[list[str], dict[str, list[str]]]:
    """The Markdown table in ``path`` whose header starts with ``first_header``: its other
    headers, and each row's other cells by the row's first cell."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |")), None
    )
    assert start is not None, f"{path.name} has no table headed {first_header!r}"

    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    rows: dict[str, list[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        first, *rest = cells(line)
        rows[first] = rest
    return cells(lines[start])[1:], rows
