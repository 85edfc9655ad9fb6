"""A command given a file it cannot open says so in one line, exits 2, and prints no traceback.

The commands that take files (``legcheck validate``, ``model sync``, ``package`` and
``corpus``; ``scripts/bench.py --zip``), each given a path that is not there, a folder where a
file belongs, and a file that is not what it should be. (``simulate`` and ``purge`` have their
own tests.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools.cli import cannot_open, main
from skill.tools.models import MODELS_DIR
from skill.tools.paths import REPO_ROOT

ARN = "arn:aws:lambda:us-east-1:123456789012:function:legcheck"
MISSING = "No such file or directory"


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_cannot_open_says_why() -> None:
    assert cannot_open(MODELS_DIR / "en-US.json") is None
    assert cannot_open(MODELS_DIR / "xx-XX.json") == MISSING
    assert cannot_open(MODELS_DIR) == "Is a directory"


@pytest.mark.parametrize("flag", ["--model", "--knowledge"])
def test_validate_refuses_a_file_it_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    missing = tmp_path / "nowhere.json"
    assert main(["validate", flag, str(missing)]) == 2
    assert one_line(capsys) == f"legcheck validate: cannot open {flag} {missing}: {MISSING}"
    assert main(["validate", flag, str(tmp_path)]) == 2
    assert one_line(capsys) == f"legcheck validate: cannot open {flag} {tmp_path}: Is a directory"


def test_model_sync_refuses_a_model_it_cannot_open_or_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "en-US.json"
    assert main(["model", "sync", "--model", str(missing)]) == 2
    assert one_line(capsys) == f"legcheck model sync: cannot open --model {missing}: {MISSING}"
    missing.write_text('{"interactionModel": ', encoding="utf-8")
    assert main(["model", "sync", "--model", str(missing)]) == 2
    assert one_line(capsys) == (
        f"legcheck model sync: {missing}:1:22: not valid JSON: Expecting value"
    )


def test_package_refuses_an_out_folder_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "build"
    out.write_text("not a folder", encoding="utf-8")
    assert main(["package", "--no-deps", "--lambda-arn", ARN, "--out", str(out)]) == 2
    assert one_line(capsys) == f"legcheck package: --out {out} is a file; name a folder"


def test_package_says_in_one_line_where_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "file"
    file.write_text("", encoding="utf-8")
    out = file / "build"  # a folder inside a file cannot be made, even by root
    assert main(["package", "--no-deps", "--lambda-arn", ARN, "--out", str(out)]) == 2
    line = one_line(capsys)
    assert line.startswith(f"legcheck package: cannot write {out}"), line
    assert line.endswith(": Not a directory"), line


@pytest.mark.parametrize(
    "locale,what,path",
    [
        ("xx-XX", "the interaction model", MODELS_DIR / "xx-XX.json"),
        ("en-GB", "the corpus", REPO_ROOT / "tests" / "corpus" / "utterances" / "en-GB.yaml"),
    ],
)
def test_corpus_refuses_a_locale_it_has_no_files_for(
    capsys: pytest.CaptureFixture[str], locale: str, what: str, path: Path
) -> None:
    assert main(["corpus", "--locale", locale]) == 2
    assert one_line(capsys) == (
        f"legcheck corpus: cannot open {what} {path}: {MISSING} (--locale has a corpus in: en-US)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["missing", "folder", "not a zip"])
def test_bench_refuses_a_zip_it_cannot_open(tmp_path: Path, kind: str) -> None:
    path = {"missing": tmp_path / "x.zip", "folder": tmp_path, "not a zip": tmp_path / "x.txt"}[
        kind
    ]
    if kind == "not a zip":
        path.write_text("hello", encoding="utf-8")
    why = {"missing": MISSING, "folder": "Is a directory", "not a zip": "not a zip file"}[kind]
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "bench.py"), "--zip", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"scripts/bench.py: cannot open --zip {path}: {why}"]
