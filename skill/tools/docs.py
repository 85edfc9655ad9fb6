"""Sections of the documentation that a command writes, never a hand.

A figure that is not the same on every run (a benchmark's timings, a zip's size, a fuzzing
run) is quoted in ``docs/`` only as a command printed it: the command, run with
``--write-docs``, replaces everything between its two markers with what it printed, headed by
the command line, the day, the commit and the machine. Figures that are the same on every run
(the corpus shares, ``legcheck validate``'s counts) are written by hand, and
``tests/test_figures.py`` runs the command that prints each one and compares.

    <!-- begin: written by `scripts/bench.py --write-docs`; edit the script, not this -->
    ...
    <!-- end: written by `scripts/bench.py --write-docs` -->
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from skill.tools.paths import REPO_ROOT

PERFORMANCE_DOC = REPO_ROOT / "docs" / "performance.md"
"""Where the benchmark's and the fuzzer's latest output is quoted."""
GENERATED = re.compile(
    r"^<!-- begin: written by `(?P<command>[^`]+) --write-docs`; edit the script, not this -->\n"
    r"(?P<body>.*?)"
    r"^<!-- end: written by `(?P=command) --write-docs` -->$",
    re.M | re.S,
)
"""A generated section: the command that writes it (a script's path from the clone's top
folder, with the arguments that pick the section) and what it wrote."""


def begin_marker(command: str) -> str:
    return f"<!-- begin: written by `{command} --write-docs`; edit the script, not this -->"


def end_marker(command: str) -> str:
    return f"<!-- end: written by `{command} --write-docs` -->"


def generated_sections(path: Path) -> dict[str, str]:
    """Each generated section of a Markdown file, by the command that writes it."""
    text = path.read_text(encoding="utf-8")
    return {m["command"]: m["body"] for m in GENERATED.finditer(text)}


def machine() -> str:
    """The machine a measurement was taken on, in a few words, with how busy it was (other
    work on a shared machine moves timings, less so the ratios)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = f", load average {os.getloadavg()[0]:.1f} as it finished"
    except OSError:
        load = ""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}{load}"
    )


def commit(besides: Path | None = None) -> str:
    """The clone's commit, with ``+`` when it has changes not committed (other than to
    ``besides``, the page being written); ``?`` outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        leave_out = [f":(exclude){besides.relative_to(REPO_ROOT)}"] if besides else []
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *leave_out],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+" if dirty else "")


def write_section(path: Path, command: str, invoked: str, output: str) -> None:
    """Replace the section ``command`` writes in ``path`` with ``output`` as printed, headed
    by how it was run (``invoked``), when, at which commit and where. The markers must be
    there already: where a section goes is the document's choice, not the command's."""
    text = path.read_text(encoding="utf-8")
    begin, end = begin_marker(command), end_marker(command)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(
            f"{path}: expected one pair of markers for {command} ({begin!r} ... {end!r})"
        )
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    day = datetime.now(UTC).date().isoformat()
    printed = "\n".join(line.rstrip() for line in output.strip("\n").splitlines())
    body = (
        f"\nAs printed by `{invoked}` on {day} at commit {commit(path)}, on {machine()}:\n\n"
        f"```text\n{printed}\n```\n\n"
    )
    path.write_text(head + begin + "\n" + body + end + tail, encoding="utf-8")


class _Tee(io.StringIO):
    """A stdout that prints and keeps what it printed."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.out.flush()


@contextlib.contextmanager
def kept_output() -> Iterator[io.StringIO]:
    """Everything printed to stdout inside the block, printed as usual and kept (its
    ``getvalue()``), for a command's ``--write-docs``."""
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield tee


def refuse_without_section(script: str, path: Path, command: str) -> bool:
    """Say in one line that ``path`` has no section for ``command`` (before a long run, not
    after it); True if it has none."""
    if command in generated_sections(path):
        return False
    print(
        f"{script}: {path.relative_to(REPO_ROOT)} has no section for `{command} --write-docs`: "
        f"add its markers ({begin_marker(command)} ... {end_marker(command)})",
        file=sys.stderr,
    )
    return True
