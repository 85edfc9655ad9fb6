"""The documents a newcomer reads stay short and their links stay true.

The README is read in five minutes (at most 200 lines) and links every page of ``docs/``;
every relative link in every Markdown file names a file that exists and, with a ``#fragment``,
a heading in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill.tools.paths import REPO_ROOT

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
MARKDOWN = sorted(
    p
    for p in REPO_ROOT.rglob("*.md")
    if not {"node_modules", ".venv", ".git", "build", ".pytest_cache"} & set(p.parts)
)
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"


def prose(path: Path) -> str:
    """A Markdown file without its code blocks and inline code (links there are examples)."""
    return CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def relative_links(path: Path) -> list[str]:
    return [t for t in LINK.findall(prose(path)) if not re.match(r"^[a-z]+:", t)]


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file, _, fragment = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md":
            text = FENCE.sub("", dest.read_text(encoding="utf-8"))
            headings = {slug(h) for h in HEADING.findall(text)}
            if fragment not in headings:
                broken.append(f"{target}: no heading #{fragment}")
    assert not broken


def test_the_readme_is_read_in_five_minutes() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 200, f"README.md has {lines} lines; move the detail to docs/"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in relative_links(README)}
    indexed = {page.parent for page in linked if page.name == "README.md"}
    missing = [
        page.relative_to(REPO_ROOT).as_posix()
        for page in DOCS.rglob("*.md")
        if page.resolve() not in linked and page.parent.resolve() not in indexed
    ]
    assert not missing, f"README.md does not link {missing}"


def test_there_is_a_decision_record_for_each_questioned_choice() -> None:
    records = sorted((DOCS / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(records) >= 5
    for record in records:
        text = record.read_text(encoding="utf-8")
        for part in ("## Context", "## Decision", "## Consequences"):
            assert part in text, f"{record.name} has no {part}"
