"""docs/faults.md's Misconfiguration table, row by row: each command is run as it is written
there, and what it prints must be the row's one line, with the row's exit code.

The table is the data: a row added there is tested here, and a message changed in the code
fails here until the table says what the code now says. Every row starts a process (a
command, gunicorn or the Lambda entry), so the module is slow.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from skill.tools.envelopes import Session, SlotValue
from skill.tools.lambda_zip import LAMBDA_ENTRY
from skill.tools.paths import REPO_ROOT
from tests.support.folders import unwritable

pytestmark = pytest.mark.slow

FAULTS = REPO_ROOT / "docs" / "faults.md"
CODE_SPAN = re.compile(r"(`+)\s?(.*?)\s?\1")
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
ANSWERS = "answers"
"""The exit column of a Lambda row: the function starts, and answers."""
LAMBDA_RUN = """
import json, sys
import lambda_function
for event in json.loads(sys.argv[1]):
    out = lambda_function.lambda_handler(event, None)
    print(json.dumps(out["response"]["outputSpeech"]["ssml"]))
"""


@dataclass(frozen=True)
class Row:
    command: str
    line: str
    exit: str

    def __str__(self) -> str:
        return self.command


def misconfiguration_rows() -> list[Row]:
    text = FAULTS.read_text(encoding="utf-8")
    section = text.split("\n## Misconfiguration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"docs/faults.md: a row of three cells, got {line!r}"
        command, said = (CODE_SPAN.search(cell) for cell in cells[:2])
        assert command and said, f"docs/faults.md: code spans in {line!r}"
        rows.append(Row(command[2], said[2], cells[2]))
    return rows


ROWS = misconfiguration_rows()


def test_the_table_has_a_row_for_every_kind_of_start() -> None:
    starts = set()
    for row in ROWS:
        words = shlex.split(row.command)
        name = program(words)
        starts.add(f"legcheck {words[words.index(name) + 1]}" if name == "legcheck" else name)
    assert starts == {
        "legcheck serve",
        "legcheck purge",
        "legcheck simulate",
        "legcheck config",
        "gunicorn",
        "lambda_function.py",
    }


def program(words: list[str]) -> str:
    return next(word for word in words if not ASSIGNMENT.match(word))


@dataclass(frozen=True)
class Places:
    tmp: Path
    read_only: Path
    port: int

    def fill(self, text: str) -> str:
        return (
            text.replace("$TMP", str(self.tmp))
            .replace("$RO", str(self.read_only))
            .replace("$PORT", str(self.port))
        )

    def named(self, text: str) -> str:
        return (
            text.replace(str(self.read_only), "$RO")
            .replace(str(self.tmp), "$TMP")
            .replace(f" {self.port} ", " $PORT ")
        )


@pytest.fixture
def places(tmp_path: Path) -> Iterator[Places]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / "notes.txt").write_text("my running notes\n")
    (tmp_path / "home").mkdir()
    with socket.socket() as taken, unwritable(tmp_path / "ro") as read_only:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        yield Places(tmp, read_only, taken.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """An environment with none of this machine's Leg Check or AWS settings."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    env["AWS_CONFIG_FILE"] = str(home / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "no-aws-credentials")
    return env


def run(row: Row, places: Places) -> subprocess.CompletedProcess[str]:
    words = shlex.split(places.fill(row.command))
    env = clean_env(places.tmp.parent / "home")
    while ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    cwd = places.tmp
    if words[0] == "legcheck":
        argv = [sys.executable, "-m", "skill.tools.cli", *words[1:]]
    elif words[0] == "gunicorn":
        argv = [sys.executable, "-m", "gunicorn", *words[1:]]
    else:
        assert words[0] == "lambda_function.py", words
        checkins = [
            Session().launch(),
            Session().intent(
                "ReportSymptomsIntent",
                [SlotValue("DangerSign", "my chest hurts", "chest_pain", slot_type="DANGER_SIGN")],
            ),
        ]
        argv = [sys.executable, "-c", LAMBDA_RUN, json.dumps(checkins)]
        cwd = LAMBDA_ENTRY.parent
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_misconfiguration_is_refused_in_the_tables_one_line(row: Row, places: Places) -> None:
    done = run(row, places)
    err = places.named(done.stderr)
    assert "Traceback" not in err
    if row.exit == ANSWERS:
        # the one line logged at cold start (each turn that then needs the store logs that it
        # could not be reached), then the greeting and the call for help
        assert done.returncode == 0, err
        assert err.splitlines()[0] == row.line
        assert err.count("at cold start") == 1
        launch, chest_pain = (json.loads(line) for line in done.stdout.splitlines())
        assert "How do your legs feel" in launch
        assert chest_pain.startswith('<speak>Call <sub alias="nine one one">911</sub> now')
    elif program(shlex.split(row.command)) == "gunicorn":
        # gunicorn's own log lines around it, and ours once, as a line of its own
        assert done.returncode == int(row.exit), err
        assert err.splitlines().count(row.line) == 1, err
    else:
        assert (done.returncode, err, done.stdout) == (int(row.exit), row.line + "\n", "")
