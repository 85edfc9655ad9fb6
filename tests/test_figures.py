"""Every figure the README and ``docs/`` quote comes from a command, and these tests fail when
the page and the command disagree.

- Figures that are the same on every run are written by hand and checked here against the
  command that prints them: ``legcheck corpus`` (the runner corpus, the held-out safety corpus
  and its later probe, in ``docs/understanding.md``) and the counts of the corpus files the
  same page gives. (The virtual-alexa share in the same table is checked by
  ``tests/test_virtual_alexa.py``, which prints it.)
- Figures that differ from run to run (timings, the Lambda zip's size, a fuzzing run) are
  quoted only inside the sections their scripts write (``--write-docs``, see
  ``skill/tools/docs.py``): no timing outside them on the README or any page of ``docs/``, and
  every such section has its script and was written by it. Targets ("at most 1.3x") are the
  benchmark's own constants.
- Settings the README and the privacy page quote (how long check-ins are kept, how many, the
  secret's length, the Python) are the constants the code uses.

(Decision records, ``docs/decisions/``, keep the figures of the day they were decided.)
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from skill.history import retention
from skill.knowledge import load_knowledge
from skill.store import MAX_CHECKINS
from skill.store.keys import MIN_SECRET_LENGTH
from skill.tools.docs import GENERATED, PERFORMANCE_DOC, generated_sections
from skill.tools.paths import REPO_ROOT
from skill.tools.simulator.corpus import CORPUS_DIR
from tests.support.floors import INTERPRETER_FLOOR, SIMULATOR_FLOOR
from tests.support.pages import UNDERSTANDING, table

README = REPO_ROOT / "README.md"
PAGES = [README, *sorted((REPO_ROOT / "docs").glob("*.md"))]
FIGURE = r"\d+/\d+ \(\d+\.\d%\)"
TIMING = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?) ?(?:us|µs|ms|microseconds|milliseconds|x|/s)(?![\w])"
)
TARGET = re.compile(r"(?:at most|at least|target:?) $")


# ------------------------------------------------------------------ the command's output


def parse_corpus_output(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """What ``legcheck corpus`` printed, as {section: {measure: {column: "a/b (x%)"}}}: the
    runner corpus (section "runner", column "share"), the held-out safety corpus ("safety":
    "now" and each earlier run, such as "landed (25fc496)") and each later probe (by its file
    name: "now" and "first run")."""
    sections: dict[str, dict[str, dict[str, str]]] = {"runner": {}}
    section = "runner"
    for line in text.splitlines():
        if line.startswith("held-out safety corpus"):
            section = "safety"
        elif m := re.match(r"^(probe-\S+\.yaml) ", line):
            section = m[1]
        elif m := re.match(rf"^(?P<measure>[^:]+): (?P<figure>{FIGURE})$", line):
            sections["runner"][m["measure"]] = {"share": m["figure"]}
        elif m := re.match(r"^  (?P<measure>[^:]+): (?P<rest>.*)$", line):
            columns = {}
            for part in m["rest"].split("; "):
                got = re.fullmatch(rf"(?P<column>.+?):? (?P<figure>{FIGURE})", part)
                assert got, f"cannot read {part!r} in {line!r}"
                columns[got["column"]] = got["figure"]
            sections.setdefault(section, {})[m["measure"]] = columns
    return sections


def test_the_corpus_output_is_read_as_printed() -> None:
    printed = (
        "utterances through the interpreter: 5/6 (83.3%)\n\n"
        "held-out safety corpus (tests/corpus/safety, written blind; every market):\n"
        "  conversations: now 2/2 (100.0%); landed (abc1234): 1/2 (50.0%)\n"
        "probe-2.yaml (a later probe, written blind after the fixes):\n"
        "  danger utterances end to end: now 3/3 (100.0%); first run 1/3 (33.3%)\n"
    )
    assert parse_corpus_output(printed) == {
        "runner": {"utterances through the interpreter": {"share": "5/6 (83.3%)"}},
        "safety": {"conversations": {"now": "2/2 (100.0%)", "landed (abc1234)": "1/2 (50.0%)"}},
        "probe-2.yaml": {
            "danger utterances end to end": {"now": "3/3 (100.0%)", "first run": "1/3 (33.3%)"}
        },
    }


@pytest.fixture(scope="module")
def corpus_printed() -> dict[str, dict[str, dict[str, str]]]:
    """``legcheck corpus``, run as a user runs it, and what it printed."""
    from skill.tools.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["corpus"]) == 0
    return parse_corpus_output(out.getvalue())


# ------------------------------------------------------------------ the page


def understanding() -> str:
    return " ".join(UNDERSTANDING.read_text(encoding="utf-8").split())


def quoted(pattern: str) -> int:
    """The one number ``pattern`` (with one group) finds on the understanding page."""
    found = re.findall(pattern, understanding())
    assert len(found) == 1, f"{pattern!r} found {found} in {UNDERSTANDING.name}"
    return int(found[0])


# ------------------------------------------------------------------ the corpus pages


@pytest.mark.slow
def test_the_runner_corpus_table_is_what_legcheck_corpus_prints(
    corpus_printed: dict[str, dict[str, dict[str, str]]],
) -> None:
    _, rows = table(UNDERSTANDING, "measure, as `legcheck corpus` prints it")
    printed = corpus_printed["runner"]
    assert printed, "legcheck corpus printed no runner corpus figures"
    for measure, columns in printed.items():
        row = [label for label in rows if label.startswith(measure)]
        assert len(row) == 1, f"{measure!r}: expected one row of the table to begin so: {row}"
        assert rows[row[0]] == [columns["share"]], (measure, rows[row[0]], columns)


@pytest.mark.slow
@pytest.mark.parametrize(
    "section,first_header",
    [("safety", "measure (every market)"), ("probe-2.yaml", "measure (probe-2.yaml)")],
)
def test_the_safety_corpus_tables_are_what_legcheck_corpus_prints(
    corpus_printed: dict[str, dict[str, dict[str, str]]], section: str, first_header: str
) -> None:
    headers, rows = table(UNDERSTANDING, first_header)
    printed = corpus_printed[section]
    assert set(rows) == set(printed), "the page's measures differ from the command's"
    for measure, columns in printed.items():
        page = dict(zip(headers, rows[measure], strict=True))
        assert page == columns, (measure, page, columns)


@pytest.mark.slow
def test_the_totals_on_the_corpus_page_are_what_legcheck_corpus_prints(
    corpus_printed: dict[str, dict[str, dict[str, str]]],
) -> None:
    def total(section: str, measure: str) -> int:
        return int(
            next(iter(corpus_printed[section][measure].values())).split(" ")[0].split("/")[1]
        )

    assert quoted(r"And (\d+) whole conversations") == total("runner", "conversations")
    assert quoted(r"(\d+) utterances and \d+ conversations of runner emergencies") == total(
        "safety", "utterances through the interpreter"
    )
    assert quoted(r"\d+ utterances and (\d+) conversations of runner emergencies") == total(
        "safety", "conversations"
    )
    assert quoted(r"`probe-2\.yaml` \((\d+) new phrasings") == total(
        "probe-2.yaml", "utterances through the interpreter"
    )


def test_the_counts_of_the_corpus_files_are_the_files() -> None:
    """How many utterances each file holds, and how many of them its authors tagged as
    answers, danger signs and traps (the ``voice`` tags)."""
    files = {
        name: yaml.safe_load((CORPUS_DIR / "utterances" / name).read_text(encoding="utf-8"))
        for name in ("en-US.yaml", "en-US.heldout.yaml")
    }

    def tagged(tag: str) -> int:
        return sum(
            1
            for u in files["en-US.yaml"]
            if tag in [t.strip() for t in str(u.get("voice", "")).split(",")]
        )

    assert quoted(r"(\d+) in `en-US\.yaml`") == len(files["en-US.yaml"])
    assert quoted(r"(\d+) in `en-US\.heldout\.yaml`") == len(files["en-US.heldout.yaml"])
    assert quoted(r"(\d+) answers to pending questions") == tagged("answer")
    assert quoted(r"(\d+) danger signs; \d+ traps") == tagged("danger")
    assert quoted(r"(\d+) traps") == tagged("trap")


def test_the_floors_the_page_quotes_are_the_tests() -> None:
    assert (
        f"The tests hold the interpreter at {INTERPRETER_FLOOR:.0%} and the simulator at "
        f"{SIMULATOR_FLOOR:.0%} or more" in understanding()
    )


# ------------------------------------------------------------------ timings


def without_generated(text: str) -> str:
    return GENERATED.sub("", text)


def bench_targets() -> set[float]:
    """The benchmark's targets, as ``scripts/bench.py`` defines them (``*_TARGET``)."""
    tree = ast.parse((REPO_ROOT / "scripts" / "bench.py").read_text(encoding="utf-8"))
    return {
        float(ast.literal_eval(node.value))
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.endswith("_TARGET")
    }


def timings(path: Path) -> Iterator[tuple[str, str]]:
    """Each timing, ratio or rate quoted on a page outside its generated sections, with the
    words just before it."""
    text = " ".join(without_generated(path.read_text(encoding="utf-8")).split())
    for m in TIMING.finditer(text):
        yield text[max(0, m.start() - 12) : m.start()], m[0]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_no_timing_is_quoted_but_as_a_script_printed_it(path: Path) -> None:
    targets = bench_targets()
    quoted_by_hand = [
        f"...{before}{figure}"
        for before, figure in timings(path)
        if not (TARGET.search(before) and float(figure.rstrip("x")) in targets)
    ]
    assert not quoted_by_hand, (
        f"{path.name} quotes timings by hand; quote them only as a script printed them, "
        "in a section it writes with --write-docs (skill/tools/docs.py)"
    )


def test_a_timing_by_hand_would_be_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "A turn takes 182 us (at most 1.3x).\n\n"
        "<!-- begin: written by `scripts/bench.py --write-docs`; edit the script, not this -->\n"
        "1.02x\n<!-- end: written by `scripts/bench.py --write-docs` -->\n",
        encoding="utf-8",
    )
    assert [figure for _, figure in timings(page)] == ["182 us", "1.3x"]


@pytest.mark.parametrize(
    "command", ["scripts/bench.py", "scripts/fuzz.py", "scripts/fuzz.py --verify"]
)
def test_each_timing_section_was_written_by_its_script(command: str) -> None:
    sections = generated_sections(PERFORMANCE_DOC)
    assert command in sections, f"{PERFORMANCE_DOC.name} has no section for {command}"
    script = REPO_ROOT / command.split()[0]
    source = script.read_text(encoding="utf-8")
    assert '"--write-docs"' in source, f"{script.name} has no --write-docs"
    invoked = re.escape(command.split()[0])
    assert re.match(
        rf"\nAs printed by `{invoked}[^`]*--write-docs[^`]*` on \d{{4}}-\d\d-\d\d at commit "
        r"[0-9a-f?]+\+?, on .+:\n\n```text\n.+\n```\n\n$",
        sections[command],
        re.S,
    ), f"the section for {command} is not as its script writes it"


@pytest.mark.parametrize("command", ["scripts/fuzz.py", "scripts/fuzz.py --verify"])
def test_the_fuzzing_sections_show_no_request_failed(command: str) -> None:
    """A run that found a 5xx or an answer Alexa would refuse is a bug to fix, not a figure to
    publish."""
    body = generated_sections(PERFORMANCE_DOC)[command]
    m = re.search(r"^5xx: (\d+) of (\d+); invalid responses: (\d+) of \d+$", body, re.M)
    assert m, body
    assert (m[1], m[3]) == ("0", "0") and int(m[2]) > 0


# ------------------------------------------------------------------ settings


def test_the_settings_the_pages_quote_are_the_codes() -> None:
    days = retention(load_knowledge()).days
    for path in (README, REPO_ROOT / "docs" / "privacy.md"):
        kept = re.findall(r"(\d+) days", " ".join(path.read_text(encoding="utf-8").split()))
        assert kept and set(kept) == {str(days)}, (path.name, kept)
    privacy = " ".join((REPO_ROOT / "docs" / "privacy.md").read_text(encoding="utf-8").split())
    assert f"At most {MAX_CHECKINS} check-ins are kept" in privacy
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert f"({MIN_SECRET_LENGTH} characters or more)" in readme
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    oldest = pyproject["project"]["requires-python"].removeprefix(">=")
    assert f"Python {oldest} or newer" in readme
